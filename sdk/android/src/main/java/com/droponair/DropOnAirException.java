package com.droponair;

import org.json.JSONObject;

/**
 * An error from the server (REST or WebSocket) or from the SDK itself.
 *
 * <p>{@link #getCode()} is the wire code ({@code ROOM_FULL},
 * {@code ROOM_NOT_FOUND}, {@code FORBIDDEN}, {@code UNAUTHORIZED}, ...) or one
 * of the SDK's: {@code DISCONNECTED} (the connection closed before a reply),
 * {@code TIMEOUT} (no reply within the request timeout), {@code
 * SESSION_EXPIRED} (a signal sent in a session that could not be resumed),
 * {@code NETWORK} (an HTTP request could not be made).
 */
public class DropOnAirException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final int status;
    private final String field;
    private final String limitSource;
    private final String error;

    public DropOnAirException(String code, String message) {
        this(code, message, 0, null, null, null);
    }

    DropOnAirException(String code, String message, Throwable cause) {
        super(message == null ? code : message, cause);
        this.code = code;
        this.status = 0;
        this.field = null;
        this.limitSource = null;
        this.error = null;
    }

    private DropOnAirException(String code, String message, int status, String field,
                               String limitSource, String error) {
        super(message == null || message.isEmpty() ? code : message);
        this.code = code;
        this.status = status;
        this.field = field;
        this.limitSource = limitSource;
        this.error = error;
    }

    /** An error body {@code {code, message, field?, limitSource?}}; status is the HTTP status or 0. */
    static DropOnAirException fromBody(JSONObject body, int status) {
        if (body == null) {
            return new DropOnAirException("INTERNAL", "HTTP " + status, status, null, null, null);
        }
        return new DropOnAirException(body.optString("code", "INTERNAL"), body.optString("message", null),
                status, body.optString("field", null), body.optString("limitSource", null), body.toString());
    }

    /** The error code, e.g. {@code ROOM_FULL}. */
    public String getCode() {
        return code;
    }

    /** The HTTP status of a REST error; 0 for WebSocket and SDK errors. */
    public int getStatus() {
        return status;
    }

    /** The request field at fault, as a dotted path ({@code policy.maxParticipants}), or null. */
    public String getField() {
        return field;
    }

    /** For {@code ROOM_FULL}: {@code "room"} or {@code "plan"}; else null. */
    public String getLimitSource() {
        return limitSource;
    }

    /** The server's error object as JSON text, or null for the SDK's own errors. */
    public String getErrorJson() {
        return error;
    }

    @Override
    public String toString() {
        return "DropOnAirException{" + code + ": " + getMessage() + "}";
    }
}
