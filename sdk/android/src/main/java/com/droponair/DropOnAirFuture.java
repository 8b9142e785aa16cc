package com.droponair;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The result of an asynchronous SDK operation: a {@link Future} that also
 * calls listeners when it completes. ({@code CompletableFuture} is missing
 * before Android 7, so the SDK has its own.)
 *
 * <p>{@link #addCallback(Callback)} runs the callback on the client's
 * callback executor (the main thread on Android, when the app chose it),
 * also when the future completed before the callback was added. The
 * blocking {@link #get()} and {@link #await(long, TimeUnit)} are for
 * background threads and tests: never call them on the callback executor's
 * thread, whose work they would wait for.
 *
 * <p>SDK futures cannot be cancelled: the request is on the wire.
 */
public final class DropOnAirFuture<T> implements Future<T> {
    /** Maps a value to another one, internally (no java.util.function before Android 7). */
    interface Transform<A, B> {
        B apply(A value) throws DropOnAirException;
    }

    private final Executor executor;
    private final List<Runnable> listeners = new ArrayList<Runnable>();
    private boolean done;
    private T value;
    private DropOnAirException error;

    DropOnAirFuture(Executor executor) {
        this.executor = executor;
    }

    static <T> DropOnAirFuture<T> succeeded(Executor executor, T value) {
        DropOnAirFuture<T> f = new DropOnAirFuture<T>(executor);
        f.complete(value);
        return f;
    }

    static <T> DropOnAirFuture<T> failed(Executor executor, DropOnAirException error) {
        DropOnAirFuture<T> f = new DropOnAirFuture<T>(executor);
        f.fail(error);
        return f;
    }

    /** Calls {@code callback} on the client's callback executor once this completes. Returns this. */
    public DropOnAirFuture<T> addCallback(Callback<? super T> callback) {
        return addCallback(executor, callback);
    }

    /** Calls {@code callback} on {@code on} once this completes. Returns this. */
    public DropOnAirFuture<T> addCallback(final Executor on, final Callback<? super T> callback) {
        whenDone(new Runnable() {
            @Override
            public void run() {
                on.execute(new Runnable() {
                    @Override
                    public void run() {
                        deliver(callback);
                    }
                });
            }
        });
        return this;
    }

    private void deliver(Callback<? super T> callback) {
        T v;
        DropOnAirException e;
        synchronized (this) {
            v = value;
            e = error;
        }
        if (e != null) {
            callback.onFailure(e);
        } else {
            callback.onSuccess(v);
        }
    }

    /** Runs r on the completing thread (or now, when done). For the SDK's own ordering. */
    void whenDone(Runnable r) {
        synchronized (this) {
            if (!done) {
                listeners.add(r);
                return;
            }
        }
        r.run();
    }

    /** Runs callback on the completing thread (or now): the SDK's own continuations. */
    void whenDoneDirect(Callback<? super T> callback) {
        final Callback<? super T> cb = callback;
        whenDone(new Runnable() {
            @Override
            public void run() {
                deliver(cb);
            }
        });
    }

    /** A future of {@code fn(value)}, completed on the thread that completes this one. */
    <R> DropOnAirFuture<R> map(final Transform<? super T, ? extends R> fn) {
        final DropOnAirFuture<R> out = new DropOnAirFuture<R>(executor);
        whenDoneDirect(new Callback<T>() {
            @Override
            public void onSuccess(T v) {
                R r;
                try {
                    r = fn.apply(v);
                } catch (DropOnAirException e) {
                    out.fail(e);
                    return;
                } catch (RuntimeException e) {
                    out.fail(new DropOnAirException("INTERNAL", String.valueOf(e), e));
                    return;
                }
                out.complete(r);
            }

            @Override
            public void onFailure(DropOnAirException e) {
                out.fail(e);
            }
        });
        return out;
    }

    boolean complete(T v) {
        return settle(v, null);
    }

    boolean fail(DropOnAirException e) {
        return settle(null, e);
    }

    private boolean settle(T v, DropOnAirException e) {
        List<Runnable> run;
        synchronized (this) {
            if (done) {
                return false;
            }
            done = true;
            value = v;
            error = e;
            run = new ArrayList<Runnable>(listeners);
            listeners.clear();
            notifyAll();
        }
        for (Runnable r : run) {
            r.run();
        }
        return true;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return false;
    }

    @Override
    public boolean isCancelled() {
        return false;
    }

    @Override
    public synchronized boolean isDone() {
        return done;
    }

    @Override
    public synchronized T get() throws InterruptedException, ExecutionException {
        while (!done) {
            wait();
        }
        if (error != null) {
            throw new ExecutionException(error);
        }
        return value;
    }

    @Override
    public synchronized T get(long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        while (!done) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException();
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        if (error != null) {
            throw new ExecutionException(error);
        }
        return value;
    }

    /**
     * Blocks until done and returns the value, or throws the operation's
     * {@link DropOnAirException} as it is; {@code TIMEOUT} after the given
     * time, {@code INTERRUPTED} when the thread is interrupted.
     */
    public T await(long timeout, TimeUnit unit) throws DropOnAirException {
        try {
            return get(timeout, unit);
        } catch (ExecutionException e) {
            throw (DropOnAirException) e.getCause();
        } catch (TimeoutException e) {
            throw new DropOnAirException("TIMEOUT", "not done within " + unit.toMillis(timeout) + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DropOnAirException("INTERRUPTED", "interrupted while waiting", e);
        }
    }
}
