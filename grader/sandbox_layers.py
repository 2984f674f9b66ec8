"""Linux system calls the sandbox needs and Python does not wrap, called through ctypes.

:class:`Kernel` holds thin, typed wrappers that raise :class:`OSError` on
failure, so that the caller can decide whether a missing layer is fatal. On a
system without the call (macOS, an old kernel) they raise ``OSError`` and the
sandbox runs without that layer.

The seccomp filter is a short classic-BPF program built here: it refuses
(``EPERM``) the system calls student code has no use for and that widen the
kernel's attack surface or reach outside the sandbox: creating sockets,
System V and POSIX IPC, ``execve``, ``ptrace``, namespaces, mounts, module loading,
``bpf``, ``io_uring``, keyrings and a few more. It is installed only on x86-64, the
architecture whose system call numbers it lists.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

__all__ = [
    "CLONE_NEWIPC",
    "CLONE_NEWNET",
    "CLONE_NEWPID",
    "CLONE_NEWUSER",
    "Kernel",
    "seccomp_supported",
]

CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_NAMESPACE_FLAGS = 0x7E020000  # every CLONE_NEW* flag, CLONE_NEWNS and CLONE_NEWCGROUP included

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2
_SYS_SECCOMP_X86_64 = 317
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4

_LINUX = sys.platform.startswith("linux")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Kernel:
    """The C library's entry points, resolved once, and the seccomp program, built once.

    Made in the zygote, so that every child inherits it ready to use: a child's
    first calls into ctypes would otherwise cost it a millisecond or more.
    """

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True) if _LINUX else None
        if self._libc is not None:
            self._libc.prctl.argtypes = [
                ctypes.c_int,
                ctypes.c_ulong,
                ctypes.c_ulong,
                ctypes.c_ulong,
                ctypes.c_ulong,
            ]
            self._libc.syscall.restype = ctypes.c_long
        code = _filter_program()
        self._program = ctypes.create_string_buffer(code, len(code))
        self._fprog = _SockFprog(len(code) // 8, ctypes.cast(self._program, ctypes.c_void_p))

    def _lib(self, what: str) -> ctypes.CDLL:
        if self._libc is None:
            raise OSError(errno.ENOSYS, f"{what}: not available on {sys.platform}")
        return self._libc

    def _prctl(self, option: int, arg: int, what: str) -> None:
        _check(self._lib(what).prctl(option, arg, 0, 0, 0), what)

    def parent_death_signal(self, signum: int) -> None:
        """Have the kernel send *signum* to this process when its parent exits."""
        self._prctl(_PR_SET_PDEATHSIG, signum, "prctl(PR_SET_PDEATHSIG)")

    def no_new_privs(self) -> None:
        """No execve can ever grant this process or its children new privileges."""
        self._prctl(_PR_SET_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")

    def set_dumpable(self, value: bool) -> None:
        """Non-dumpable processes cannot be ptraced or read through /proc by their own uid."""
        self._prctl(_PR_SET_DUMPABLE, int(value), "prctl(PR_SET_DUMPABLE)")

    def unshare(self, flags: int) -> None:
        """Move this process into new namespaces (``unshare(2)``)."""
        _check(self._lib("unshare").unshare(ctypes.c_int(flags)), "unshare")

    def setns(self, fd: int, nstype: int) -> None:
        """Join the namespace open at *fd* (``setns(2)``)."""
        _check(self._lib("setns").setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")

    def capabilities_drop(self) -> None:
        """Clear the effective, permitted and inheritable capability sets of this process."""
        header = _CapHeader(0x20080522, 0)
        data = (_CapData * 2)()
        _check(self._lib("capset").capset(ctypes.byref(header), ctypes.byref(data)), "capset")

    def install_seccomp(self) -> None:
        """Install the filter on this process (after :meth:`no_new_privs`); it is inherited.

        ``SECCOMP_FILTER_FLAG_SPEC_ALLOW``: without it the kernel also turns on the
        speculative-store-bypass mitigation for the process, which slows Python by a
        third. That mitigation guards a process's memory against code in the same
        process, and nothing in a child's memory is secret from the code running in it.
        """
        if not seccomp_supported():
            raise OSError(errno.ENOSYS, "seccomp: no system call table for this machine")
        libc = self._lib("seccomp")
        result = libc.syscall(
            ctypes.c_long(_SYS_SECCOMP_X86_64),
            ctypes.c_ulong(_SECCOMP_SET_MODE_FILTER),
            ctypes.c_ulong(_SECCOMP_FILTER_FLAG_SPEC_ALLOW),
            ctypes.byref(self._fprog),
        )
        _check(0 if result == 0 else -1, "seccomp(SECCOMP_SET_MODE_FILTER)")


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno() or errno.EINVAL
        raise OSError(code, f"{what}: {os.strerror(code)}")


def seccomp_supported() -> bool:
    """Whether :meth:`Kernel.install_seccomp` knows this machine's system call numbers."""
    return _LINUX and platform.machine() in ("x86_64", "AMD64")


# -- seccomp ----------------------------------------------------------------------------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_RET_KILL_PROCESS = 0x80000000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_CLONE_X86_64 = 56

# x86-64 numbers of the refused system calls.
_DENIED_X86_64 = {
    "shmget": 29,
    "shmat": 30,
    "shmctl": 31,
    "socket": 41,
    "connect": 42,
    "accept": 43,
    "bind": 49,
    "listen": 50,
    "socketpair": 53,
    "execve": 59,
    "semget": 64,
    "semop": 65,
    "semctl": 66,
    "shmdt": 67,
    "msgget": 68,
    "msgsnd": 69,
    "msgrcv": 70,
    "msgctl": 71,
    "ptrace": 101,
    "syslog": 103,
    "uselib": 134,
    "personality": 135,
    "pivot_root": 155,
    "chroot": 161,
    "acct": 163,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "semtimedop": 220,
    "mq_open": 240,
    "mq_unlink": 241,
    "mq_timedsend": 242,
    "mq_timedreceive": 243,
    "mq_notify": 244,
    "mq_getsetattr": 245,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "accept4": 288,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "execveat": 322,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}
_CLONE3_X86_64 = 435


def _filter_program() -> bytes:
    """The BPF program: refuse the listed calls with EPERM, clone3 with ENOSYS, allow the rest."""
    denied = sorted(set(_DENIED_X86_64.values()))
    program: list[tuple[int, int, int, int]] = []

    def ins(code: int, jt: int, jf: int, k: int) -> None:
        program.append((code, jt, jf, k))

    # Wrong architecture: kill (a 32-bit call table would bypass the numbers below).
    ins(_LD_W_ABS, 0, 0, 4)
    ins(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64)
    ins(_RET_K, 0, 0, _RET_KILL_PROCESS)
    ins(_LD_W_ABS, 0, 0, 0)
    # x32 ABI numbers: refuse.
    tail = len(denied) + 7  # instructions from the next one to the EPERM return
    ins(_JGE_K, tail, 0, _X32_SYSCALL_BIT)
    # clone3 cannot be inspected (its flags are behind a pointer): ENOSYS makes libc use clone.
    ins(_JEQ_K, 0, 1, _CLONE3_X86_64)
    ins(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS)
    # clone: refuse any namespace flag.
    ins(_JEQ_K, 0, 2, _CLONE_X86_64)
    ins(_LD_W_ABS, 0, 0, 16)
    ins(_JSET_K, len(denied) + 2, 0, _NAMESPACE_FLAGS)
    ins(_LD_W_ABS, 0, 0, 0)
    for index, number in enumerate(denied):
        ins(_JEQ_K, len(denied) - index, 0, number)
    ins(_RET_K, 0, 0, _RET_ALLOW)
    ins(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)
    return b"".join(struct.pack("=HBBI", *i) for i in program)
