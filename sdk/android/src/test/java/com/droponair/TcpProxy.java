package com.droponair;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback TCP proxy in front of droponaird, to lose the network under a
 * client: {@link #cut()} resets every connection (RST, no close frame) and
 * {@link #setRefusing(boolean)} refuses new ones for a while.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final List<Socket> open = new ArrayList<Socket>();
    private volatile boolean refusing;
    private volatile boolean closed;
    private int accepted;

    TcpProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                acceptLoop();
            }
        }, "tcp-proxy");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    synchronized int accepted() {
        return accepted;
    }

    void setRefusing(boolean on) {
        refusing = on;
    }

    /** Resets every open connection, both sides, without a WebSocket close. */
    void cut() {
        List<Socket> all;
        synchronized (this) {
            all = new ArrayList<Socket>(open);
            open.clear();
        }
        for (Socket s : all) {
            try {
                s.setSoLinger(true, 0); // RST, as a lost route would end it eventually
                s.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            final Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return;
            }
            if (refusing) {
                try {
                    in.setSoLinger(true, 0);
                    in.close();
                } catch (IOException e) {
                    // gone
                }
                continue;
            }
            try {
                final Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                synchronized (this) {
                    accepted++;
                    open.add(in);
                    open.add(out);
                }
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                try {
                    in.close();
                } catch (IOException e2) {
                    // gone
                }
            }
        }
    }

    private void pump(final Socket from, final Socket to) {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                byte[] buf = new byte[16384];
                try {
                    InputStream i = from.getInputStream();
                    OutputStream o = to.getOutputStream();
                    int n;
                    while ((n = i.read(buf)) > 0) {
                        o.write(buf, 0, n);
                        o.flush();
                    }
                } catch (IOException e) {
                    // cut
                } finally {
                    try {
                        to.close();
                        from.close();
                    } catch (IOException e) {
                        // gone
                    }
                }
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        cut();
    }
}
