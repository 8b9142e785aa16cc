package com.droponair;

import okio.ByteString;
import org.json.JSONObject;

/**
 * The token the SDK uses, from the app's {@link TokenProvider}: cached until
 * it expires within the refresh margin (its {@code exp} claim, read without
 * verifying: the server verifies), or until the server refuses it.
 * Thread-safe; {@link #get} may block in the provider, so it is never called
 * on the SDK's loop thread.
 */
final class Tokens {
    private final TokenProvider provider;
    private final long marginMs;
    private String token;
    private long expMs;      // Long.MAX_VALUE when the token has no readable exp
    private boolean stale;   // refused by the server or expired: ask with forceRefresh

    Tokens(TokenProvider provider, long marginMs) {
        this.provider = provider;
        this.marginMs = marginMs;
    }

    /** A usable token: the cached one, or a new one from the provider. */
    synchronized String get() throws DropOnAirException {
        if (token != null && !stale && expMs - System.currentTimeMillis() > marginMs) {
            return token;
        }
        boolean force = token != null;
        String t;
        try {
            t = provider.getToken(force);
        } catch (Exception e) {
            throw new DropOnAirException("UNAUTHORIZED", "the token provider failed: " + e, e);
        }
        if (t == null || t.isEmpty()) {
            throw new DropOnAirException("UNAUTHORIZED", "the token provider returned no token");
        }
        token = t;
        expMs = expiryOf(t);
        stale = false;
        return t;
    }

    /** The server refused t: the next {@link #get} asks the provider for a new one. */
    synchronized void refused(String t) {
        if (t != null && t.equals(token)) {
            stale = true;
        }
    }

    /** Forgets the cached token, so the next {@link #get} asks for a fresh one. */
    synchronized void invalidate() {
        if (token != null) {
            stale = true;
        }
    }

    /** The token's exp claim in ms, or Long.MAX_VALUE when it cannot be read. */
    static long expiryOf(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return Long.MAX_VALUE;
        }
        try {
            ByteString payload = ByteString.decodeBase64(parts[1]);
            if (payload == null) {
                return Long.MAX_VALUE;
            }
            JSONObject claims = new JSONObject(payload.utf8());
            Object exp = claims.opt("exp");
            if (!(exp instanceof Number)) {
                return Long.MAX_VALUE;
            }
            long s = ((Number) exp).longValue();
            return s > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : s * 1000;
        } catch (Exception e) {
            return Long.MAX_VALUE;
        }
    }
}
