"""Leaves a daemon behind that keeps the run's stdout open: a new session, out of the run's
cgroups where it can (as root, into the hierarchy's top), then sleeps. Its pid goes to
HOSTILE_PIDFILE so that the test can stop it."""

import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for controller in ("pids/", "memory/", "unified/", ""):
            try:
                with open(f"/sys/fs/cgroup/{controller}cgroup.procs", "w") as fh:
                    fh.write(str(os.getpid()))
            except OSError:
                pass
        with open(os.environ["HOSTILE_PIDFILE"], "w") as fh:
            fh.write(str(os.getpid()))
        print("daemon running", flush=True)
        time.sleep(int(os.environ.get("HOSTILE_SLEEP", "40")))
        os._exit(0)
    os._exit(0)
os.wait()
print("parent done", flush=True)
