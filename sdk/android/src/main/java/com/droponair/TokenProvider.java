package com.droponair;

/**
 * Supplies droponair JWTs, typically fetched from the app's own backend.
 *
 * <p>The SDK calls it on one of its own background threads, never on the
 * callback executor, so it may block (a network round trip is fine). It is
 * asked when the SDK has no token yet, when the token it holds expires
 * within the client's refresh margin (read from the token's {@code exp}
 * claim), and once more when the server answered {@code UNAUTHORIZED} (the
 * token was refused: expired, revoked key). It must return a token for the
 * same user each time; throwing fails the operation that needed it with
 * {@code UNAUTHORIZED}.
 */
public interface TokenProvider {
    /**
     * Returns a token.
     *
     * @param forceRefresh true when the previous token was refused by the
     *     server or has expired: return a new one, not a cached copy
     */
    String getToken(boolean forceRefresh) throws Exception;
}
