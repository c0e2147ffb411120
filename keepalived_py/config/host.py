"""What the configuration layer may ask of the machine, as an injected interface.

The config package is pure: it never touches the file system, the environment or the network
interfaces itself.  The runtime passes a real implementation (``adapters/host.py``); tests pass
``MemoryHost`` with an in-memory file system.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FileInfo:
    """The parts of stat(2) that keepalived's checks look at."""

    mode: int
    uid: int
    gid: int
    is_dir: bool
    is_file: bool


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    uid: int
    gid: int


class Host(Protocol):
    """Facts about the machine that parsing and validation depend on."""

    def read_file(self, path: str) -> bytes:
        """Contents of a file; raises OSError when it cannot be read."""
        ...

    def glob(self, pattern: str) -> list[str]:
        """Sorted matches of a shell pattern (with ``{a,b}`` alternatives already expanded)."""
        ...

    def stat(self, path: str) -> FileInfo | None: ...

    def access_readable(self, path: str) -> bool: ...

    def realpath(self, path: str) -> str: ...

    def getcwd(self) -> str: ...

    def hostname(self) -> str: ...

    def getenv(self, name: str) -> str | None: ...

    def interface_names(self) -> frozenset[str]: ...

    def user_by_name(self, name: str) -> UserInfo | None: ...

    def group_by_name(self, name: str) -> int | None: ...

    def user_by_uid(self, uid: int) -> UserInfo | None: ...

    def current_user(self) -> UserInfo: ...

    def which(self, command: str) -> str | None:
        """Resolve a bare command name on keepalived's PATH, as execvp would."""
        ...


@dataclass
class MemoryHost:
    """An in-memory host for tests: files, interfaces, users and environment are plain data."""

    files: dict[str, bytes] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    interfaces: frozenset[str] = frozenset({"lo", "eth0", "eth1"})
    env: dict[str, str] = field(default_factory=dict)
    host_name: str = "node1.example"
    cwd: str = "/"
    users: dict[str, UserInfo] = field(default_factory=lambda: {"root": UserInfo("root", 0, 0)})
    groups: dict[str, int] = field(default_factory=lambda: {"root": 0})

    def _abs(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, path))

    def read_file(self, path: str) -> bytes:
        try:
            return self.files[self._abs(path)]
        except KeyError:
            raise FileNotFoundError(path) from None

    def glob(self, pattern: str) -> list[str]:
        absolute = self._abs(pattern)
        found = sorted(p for p in self.files if fnmatch.fnmatchcase(p, absolute))
        if pattern.startswith("/"):
            return found
        prefix = self.cwd.rstrip("/") + "/"
        return [p[len(prefix) :] if p.startswith(prefix) else p for p in found]

    def _dirs(self) -> set[str]:
        dirs = {"/"}
        for p in self.files:
            d = posixpath.dirname(p)
            while d not in dirs:
                dirs.add(d)
                d = posixpath.dirname(d)
        return dirs

    def stat(self, path: str) -> FileInfo | None:
        p = self._abs(path)
        if p in self.files:
            return FileInfo(self.modes.get(p, 0o100644), 0, 0, False, True)
        if p in self._dirs():
            return FileInfo(0o040755, 0, 0, True, False)
        return None

    def access_readable(self, path: str) -> bool:
        return self._abs(path) in self.files

    def realpath(self, path: str) -> str:
        return self._abs(path)

    def getcwd(self) -> str:
        return self.cwd

    def hostname(self) -> str:
        return self.host_name

    def getenv(self, name: str) -> str | None:
        return self.env.get(name)

    def interface_names(self) -> frozenset[str]:
        return self.interfaces

    def user_by_name(self, name: str) -> UserInfo | None:
        return self.users.get(name)

    def group_by_name(self, name: str) -> int | None:
        return self.groups.get(name)

    def user_by_uid(self, uid: int) -> UserInfo | None:
        return next((u for u in self.users.values() if u.uid == uid), None)

    def current_user(self) -> UserInfo:
        return self.users["root"]

    def which(self, command: str) -> str | None:
        for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            if posixpath.join(d, command) in self.files:
                return posixpath.join(d, command)
        return None
