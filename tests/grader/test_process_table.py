"""The watchdog's process table: one read of /proc/PID/stat per process, the same facts psutil
gives (parent, group, session, uid, memory), whatever the command name looks like."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from convgrade.grader.isolation import processes
from convgrade.grader.isolation.processes import Members

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux /proc only")

#: a command name that breaks a parser splitting at the first ")" or on spaces: "x) Z 1 (y"
CHILD = (
    "import time; open('/proc/self/comm', 'w').write('x) Z 1 (y');"
    "b = bytearray(40 << 20); print('ready', flush=True); time.sleep(60)"
)


class _NoCgroups:
    def members(self) -> list[int]:
        return []


@pytest.fixture
def child():
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout.readline().strip() == b"ready"
    yield proc
    proc.kill()
    proc.wait()


def test_proc_table_agrees_with_psutil(child):
    fast, slow = processes._table(True), processes._table_psutil()
    ppid, pgrp, sid, uid, rss = fast[child.pid]
    assert (ppid, pgrp, sid, uid) == (os.getpid(), child.pid, child.pid, os.getuid())
    assert (ppid, pgrp, sid, uid) == slow[child.pid][:4]
    assert rss >= 40 << 20 and abs(rss - slow[child.pid][4]) < 8 << 20
    assert os.getpid() not in fast  # the watchdog never counts itself


def test_a_run_is_found_by_its_session_and_a_zombie_is_not(child):
    members = Members(child.pid, None, _NoCgroups())
    assert [pid for pid, _ in members.scan()] == [child.pid]
    child.kill()
    time.sleep(0.2)  # not reaped yet: a zombie, nothing left to kill
    assert processes._table(False).get(child.pid) is None
    assert members.scan() == []
