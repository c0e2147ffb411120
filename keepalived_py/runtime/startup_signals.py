"""Signals that arrive while the daemon is starting (or finishing) are held, not fatal.

keepalived takes charge of its signals from its first instant and acts on them once its event loop
runs: a SIGHUP, SIGUSR1, SIGUSR2 or SIGRTMIN+2 sent while it starts is answered late, a SIGTERM
makes it stop as soon as it can, with exit status 0.  A Python process starts with the default
dispositions (terminate, for all of these) and installs its handlers only once its loop exists, a
second or more later.  So the daemon blocks these signals as soon as it knows it is a daemon (not
``-t``): the kernel keeps them pending, and each process unblocks them right after installing its
handlers (the parent in its supervisor, the VRRP and checker children in their loops), which then
receive what arrived meanwhile.  At the end, they are blocked again before the handlers go, so a
late signal cannot kill a process that is already cleaning up.

A child forked by the parent inherits the blocked mask; notify and track scripts are started
after the unblocking, so they never inherit it.
"""

from __future__ import annotations

import signal

# keepalived's STATS_CLEAR (SIGRTMAX-1) and JSON (SIGRTMIN+2) signals included
STOPPING: frozenset[int] = frozenset({signal.SIGTERM, signal.SIGINT})
CONTROL: frozenset[int] = frozenset(
    {signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN + 2, signal.SIGRTMAX - 1}
)
DAEMON_SIGNALS: frozenset[int] = STOPPING | CONTROL


def hold(signals: frozenset[int] = DAEMON_SIGNALS) -> set[int | signal.Signals]:
    """Block ``signals`` in this thread (and in what it forks or starts afterwards); returns the
    previous mask, for ``restore``."""
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def restore(previous: set[int | signal.Signals], signals: frozenset[int] = DAEMON_SIGNALS) -> None:
    """The mask before ``hold``, once the signals still held are discarded (they were answered,
    or came too late to matter): unblocking them would apply their default action, death."""
    while signal.sigtimedwait(signals, 0) is not None:
        pass
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def release(signals: frozenset[int] = DAEMON_SIGNALS) -> None:
    """Unblock ``signals``: those pending are delivered to the handlers now installed."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


def stop_requested() -> bool:
    """A SIGTERM or SIGINT arrived while held."""
    return bool(STOPPING & {int(s) for s in signal.sigpending()})
