"""The real machine behind ``config.host.Host``: file system, environment, interfaces, users."""

from __future__ import annotations

import glob as _glob
import grp
import os
import pwd
import shutil
import socket
import stat as _stat

from keepalived_py.config.host import FileInfo, UserInfo

# keepalived runs scripts with this PATH (it resets the environment before exec).
SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class SystemHost:
    """Answers the config layer's questions from the running system.

    The interface list is read once per instance: a parse asks for it once per instance line,
    and a config is judged against one snapshot of the machine.
    """

    def __init__(self) -> None:
        self._interfaces: frozenset[str] | None = None

    def read_file(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def glob(self, pattern: str) -> list[str]:
        return sorted(_glob.glob(pattern))

    def stat(self, path: str) -> FileInfo | None:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        return FileInfo(
            st.st_mode, st.st_uid, st.st_gid, _stat.S_ISDIR(st.st_mode), _stat.S_ISREG(st.st_mode)
        )

    def access_readable(self, path: str) -> bool:
        try:
            return os.access(path, os.R_OK)
        except ValueError:
            return False

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def getcwd(self) -> str:
        return os.getcwd()

    def hostname(self) -> str:
        return socket.gethostname()

    def getenv(self, name: str) -> str | None:
        return os.environ.get(name)

    def interface_names(self) -> frozenset[str]:
        if self._interfaces is None:
            try:
                self._interfaces = frozenset(name for _, name in socket.if_nameindex())
            except OSError:
                self._interfaces = frozenset()
        return self._interfaces

    def user_by_name(self, name: str) -> UserInfo | None:
        try:
            pw = pwd.getpwnam(name)
        except (KeyError, ValueError):
            return None
        return UserInfo(pw.pw_name, pw.pw_uid, pw.pw_gid)

    def group_by_name(self, name: str) -> int | None:
        try:
            return grp.getgrnam(name).gr_gid
        except (KeyError, ValueError):
            return None

    def user_by_uid(self, uid: int) -> UserInfo | None:
        try:
            pw = pwd.getpwuid(uid)
        except (KeyError, ValueError, OverflowError):
            return None
        return UserInfo(pw.pw_name, pw.pw_uid, pw.pw_gid)

    def current_user(self) -> UserInfo:
        uid = os.geteuid()
        found = self.user_by_uid(uid)
        return found if found else UserInfo(str(uid), uid, os.getegid())

    def which(self, command: str) -> str | None:
        return shutil.which(command, path=SCRIPT_PATH)
