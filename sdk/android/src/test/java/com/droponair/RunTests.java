package com.droponair;

import java.util.ArrayList;
import java.util.List;
import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs the JUnit suite (or the classes named on the command line) and ends
 * with one line "android: N passed, N failed"; exits 1 on a failure.
 */
public final class RunTests {
    static final Class<?>[] ALL = {
        RestTest.class, JoinOutcomesTest.class, ModerationTest.class, InteropTest.class,
        ReconnectTest.class, TokenTest.class, MeshSignalingTest.class,
    };

    private RunTests() {
    }

    public static void main(String[] args) throws Exception {
        List<Class<?>> classes = new ArrayList<Class<?>>();
        for (String a : args) {
            classes.add(Class.forName(a.contains(".") ? a : "com.droponair." + a));
        }
        if (classes.isEmpty()) {
            for (Class<?> c : ALL) {
                classes.add(c);
            }
        }
        JUnitCore core = new JUnitCore();
        final long[] started = {0};
        final boolean[] failed = {false};
        core.addListener(new RunListener() {
            @Override
            public void testStarted(Description d) {
                started[0] = System.currentTimeMillis();
                failed[0] = false;
            }

            @Override
            public void testFailure(Failure f) {
                failed[0] = true;
                System.out.println("FAIL " + f.getDescription().getDisplayName());
                // The test's own frames; JUnit's and reflection's say nothing.
                for (String line : f.getTrace().split("\n")) {
                    if (line.contains("org.junit.") || line.contains("jdk.internal.reflect")
                            || line.contains("java.lang.reflect")) {
                        continue;
                    }
                    System.out.println(line);
                }
            }

            @Override
            public void testFinished(Description d) {
                if (!failed[0]) {
                    System.out.println("ok   " + d.getClassName().replace("com.droponair.", "") + "."
                            + d.getMethodName() + " (" + (System.currentTimeMillis() - started[0]) + " ms)");
                }
            }
        });
        Result r = core.run(classes.toArray(new Class<?>[0]));
        int failures = r.getFailureCount();
        System.out.println("android: " + (r.getRunCount() - failures) + " passed, " + failures + " failed");
        System.exit(failures == 0 && r.getRunCount() > 0 ? 0 : 1);
    }
}
