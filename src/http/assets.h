/* Web assets compiled into the binary (the console and call page, the JS SDK). */
#ifndef DPA_HTTP_ASSETS_H
#define DPA_HTTP_ASSETS_H

typedef struct web_asset {
    const char *path;           /* URL path, e.g. "/app.js"; NULL ends the table */
    const char *content_type;
    const unsigned char *data;
    unsigned long len;
} web_asset;

extern const web_asset web_assets[];

#endif
