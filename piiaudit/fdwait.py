"""Waiting on a pipe without select()'s limit.

`select.select` refuses a descriptor numbered 1,024 or above (`ValueError: filedescriptor
out of range`), and a proxy with many connections open, or any long-lived process, holds
such descriptors. `ready(read_fd, write_fd, timeout)` waits with poll(2), which has no such
limit, and says which of the two is ready. A descriptor that fails (hung up, error, closed)
counts as ready, so the caller's read or write meets the failure and handles it instead of
waiting on it forever.
"""

from __future__ import annotations

import select

_FAILED = select.POLLHUP | select.POLLERR | select.POLLNVAL


def ready(read_fd: int | None, write_fd: int | None, timeout: float) -> tuple[bool, bool]:
    """Wait up to `timeout` seconds until `read_fd` can be read or `write_fd` written
    (either may be None); return (readable, writable)."""
    poller = select.poll()
    if read_fd is not None:
        poller.register(read_fd, select.POLLIN | select.POLLPRI)
    if write_fd is not None:
        poller.register(write_fd, select.POLLOUT)
    readable = writable = False
    for fd, events in poller.poll(max(0, int(timeout * 1000 + 0.999))):
        if fd == read_fd and events & (select.POLLIN | select.POLLPRI | _FAILED):
            readable = True
        if fd == write_fd and events & (select.POLLOUT | _FAILED):
            writable = True
    return readable, writable
