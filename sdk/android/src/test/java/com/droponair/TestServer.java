package com.droponair;

import static org.junit.Assert.assertEquals;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The real droponaird on a free loopback port with a fresh database, as the
 * integration tests start it (tests/integration/helpers.mjs): apps are made
 * with its CLI and tokens are minted here, independently of the server.
 */
final class TestServer implements AutoCloseable {
    static final String BIN = System.getProperty("droponaird", "../../build/droponaird");
    static final String ROOT = System.getProperty("root", "../..");

    final File dir;
    final String db;
    final int port;
    final String url;
    private final Process proc;
    private final StringBuilder logs = new StringBuilder();

    private TestServer(File dir, String db, Process proc, int port) {
        this.dir = dir;
        this.db = db;
        this.proc = proc;
        this.port = port;
        this.url = "http://127.0.0.1:" + port;
    }

    /** Starts a server; extra are more `serve` flags (e.g. --ws-grace-ms 800). */
    static TestServer start(String... extra) throws Exception {
        File dir = Files.createTempDirectory("dpa-android-").toFile();
        String db = "sqlite:" + new File(dir, "droponair.db").getPath();
        List<String> argv = new ArrayList<String>(Arrays.asList(BIN, "serve", "--listen", "127.0.0.1:0", "--db", db));
        argv.addAll(Arrays.asList(extra));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectOutput(ProcessBuilder.Redirect.to(new File("/dev/null")));
        final Process p = pb.start();
        final BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        final Pattern listening = Pattern.compile("msg=\"listening\" addr=[^:]+:(\\d+)");
        final StringBuilder early = new StringBuilder();
        final int[] port = {0};
        long end = System.currentTimeMillis() + 15000;
        String line;
        while (System.currentTimeMillis() < end && (line = err.readLine()) != null) {
            early.append(line).append('\n');
            Matcher m = listening.matcher(line);
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                break;
            }
        }
        if (port[0] == 0) {
            p.destroyForcibly();
            throw new IllegalStateException("droponaird did not start:\n" + early);
        }
        final TestServer s = new TestServer(dir, db, p, port[0]);
        s.logs.append(early);
        Thread drain = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    String l;
                    while ((l = err.readLine()) != null) {
                        synchronized (s.logs) {
                            s.logs.append(l).append('\n');
                        }
                    }
                } catch (IOException e) {
                    // the server is gone
                }
            }
        }, "droponaird-stderr");
        drain.setDaemon(true);
        drain.start();
        return s;
    }

    /** An app made with the real CLI. */
    App createApp(String plan) throws Exception {
        Process p = new ProcessBuilder(BIN, "app", "create", "--db", db, "--name", "android-" + plan, "--plan", plan)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(readAll(p), StandardCharsets.UTF_8).trim();
        assertEquals("app create exit code", 0, p.waitFor());
        return new App(new JSONObject(out));
    }

    private static byte[] readAll(Process p) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = p.getInputStream().read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    String logs() {
        synchronized (logs) {
            return logs.toString();
        }
    }

    /** SIGTERM: the server drains and must exit 0. */
    @Override
    public void close() throws IOException {
        proc.destroy();
        boolean exited;
        try {
            exited = proc.waitFor(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!exited) {
            proc.destroyForcibly();
            throw new AssertionError("droponaird did not stop on SIGTERM:\n" + tail());
        }
        assertEquals("droponaird exit code\n" + tail(), 0, proc.exitValue());
        deleteTree(dir);
    }

    private String tail() {
        String l = logs();
        return l.length() > 4000 ? l.substring(l.length() - 4000) : l;
    }

    private static void deleteTree(File f) {
        File[] kids = f.listFiles();
        if (kids != null) {
            for (File k : kids) {
                deleteTree(k);
            }
        }
        if (!f.delete()) {
            f.deleteOnExit();
        }
    }

    /** An app: its id, key id and HS256 secret. */
    static final class App {
        final String appId;
        final String kid;
        final String secret;

        App(JSONObject o) throws JSONException {
            appId = o.getString("appId");
            kid = o.getString("kid");
            secret = o.getString("secret");
        }

        /** A token for user valid for an hour. */
        String token(String user) {
            return token(user, 3600);
        }

        /** A token for user that expires ttlSeconds from now (negative: already expired). */
        String token(String user, long ttlSeconds) {
            long now = System.currentTimeMillis() / 1000;
            try {
                JSONObject claims = new JSONObject().put("sub", user).put("iat", Math.min(now, now + ttlSeconds))
                        .put("exp", now + ttlSeconds);
                return sign(claims);
            } catch (JSONException e) {
                throw new IllegalStateException(e);
            }
        }

        String sign(JSONObject claims) {
            try {
                JSONObject header = new JSONObject().put("alg", "HS256").put("typ", "JWT").put("kid", kid);
                Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
                String input = b64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                        + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                return input + "." + b64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** A provider that always returns a fresh hour-long token for user. */
        TokenProvider provider(final String user) {
            return new TokenProvider() {
                @Override
                public String getToken(boolean forceRefresh) {
                    return token(user);
                }
            };
        }
    }
}
