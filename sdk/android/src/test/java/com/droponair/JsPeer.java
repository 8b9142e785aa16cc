package com.droponair;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A JavaScript SDK client in a node process (src/test/js/js-peer.mjs),
 * driven line by line: what it is told to do goes to its stdin, its replies
 * and every event it receives come back on stdout.
 */
final class JsPeer implements AutoCloseable {
    /** Picks lines. */
    interface Match {
        boolean test(JSONObject line) throws JSONException;
    }

    private final Process proc;
    private final OutputStream stdin;
    private final List<JSONObject> lines = new ArrayList<JSONObject>();
    private final StringBuilder stderr = new StringBuilder();

    JsPeer(String url, String token) throws IOException {
        String script = new File(TestServer.ROOT, "sdk/android/src/test/js/js-peer.mjs").getPath();
        proc = new ProcessBuilder("node", script, url, token).start();
        stdin = proc.getOutputStream();
        reader(new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8)), true);
        reader(new BufferedReader(new InputStreamReader(proc.getErrorStream(), StandardCharsets.UTF_8)), false);
    }

    private void reader(final BufferedReader r, final boolean out) {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    String l;
                    while ((l = r.readLine()) != null) {
                        synchronized (JsPeer.this) {
                            if (out) {
                                try {
                                    lines.add(new JSONObject(l));
                                } catch (JSONException e) {
                                    stderr.append("not JSON: ").append(l).append('\n');
                                }
                            } else {
                                stderr.append(l).append('\n');
                            }
                            JsPeer.this.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            }
        }, "js-peer");
        t.setDaemon(true);
        t.start();
    }

    void send(JSONObject cmd) throws IOException {
        stdin.write((cmd.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** The first line (seen or future) that m accepts; fails after 10 s or when node died. */
    synchronized JSONObject await(Match m) throws Exception {
        long end = System.currentTimeMillis() + 10000;
        for (;;) {
            for (JSONObject l : lines) {
                if (m.test(l)) {
                    return l;
                }
            }
            if (l0() != null) {
                throw new AssertionError(l0());
            }
            long left = end - System.currentTimeMillis();
            if (left <= 0 || !proc.isAlive()) {
                throw new AssertionError("js peer: nothing matched; lines " + lines + "\nstderr " + stderr);
            }
            wait(Math.min(left, 200));
        }
    }

    /** An {"error"} line, which no test expects. */
    private String l0() {
        for (JSONObject l : lines) {
            if (l.has("error")) {
                return "js peer error: " + l + "\nstderr " + stderr;
            }
        }
        return null;
    }

    /** The first event of type (and from, when not null) the JS client received. */
    JSONObject awaitEvent(final String type, final String from) throws Exception {
        return await(new Match() {
            @Override
            public boolean test(JSONObject l) throws JSONException {
                JSONObject e = l.optJSONObject("event");
                return e != null && type.equals(e.optString("type"))
                        && (from == null || from.equals(e.optString("from", e.optString("userId"))));
            }
        }).getJSONObject("event");
    }

    /** Tells it to quit; it must exit 0 (a frame off the protocol would have crashed it). */
    @Override
    public void close() throws IOException {
        try {
            send(new JSONObject().put("cmd", "quit"));
            stdin.close();
        } catch (IOException | JSONException e) {
            // already gone
        }
        boolean exited;
        try {
            exited = proc.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!exited) {
            proc.destroyForcibly();
            throw new AssertionError("js peer did not quit");
        }
        if (proc.exitValue() != 0) {
            throw new AssertionError("js peer exited " + proc.exitValue() + "\n" + stderr);
        }
    }
}
