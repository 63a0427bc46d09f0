//! The operating system's errors under Python's names.
//!
//! Python sorts `OSError` by errno into subclasses (`ConnectionResetError`
//! for `ECONNRESET`, ...); a program catches the one it expects. Here each
//! is a type an [`AnyError`] holds, so `e.is::<ConnectionResetError>()`
//! catches it, and each keeps the [`io::Error`] it came from, reachable as
//! [`Error::source`] or with `io_error()`. Its message is Python's:
//! `[Errno 104] Connection reset by peer`.

use super::errors::TimeoutError;
use crate::AnyError;
use std::{error::Error, fmt, io};

/// Writes an OS error as Python's `str(OSError)` does: `[Errno N] text`.
pub(super) fn python_message(f: &mut fmt::Formatter<'_>, error: &io::Error) -> fmt::Result {
    let Some(code) = error.raw_os_error() else {
        // std's words around the resolver's (`socket.gaierror` has only
        // the resolver's).
        let text = error.to_string();
        let text = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text);
        return f.write_str(text);
    };
    let text = error.to_string();
    let text = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    write!(f, "[Errno {code}] {text}")
}

macro_rules! os_error_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub(crate) io::Error);

        impl $name {
            /// The operating system's error.
            #[must_use]
            pub fn io_error(&self) -> &io::Error {
                &self.0
            }

            /// The OS error number, if the OS gave one (Python's `errno`).
            #[must_use]
            pub fn errno(&self) -> Option<i32> {
                self.0.raw_os_error()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                python_message(f, &self.0)
            }
        }

        impl Error for $name {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
    )*};
}

os_error_types! {
    /// The peer reset the connection (Python's `ConnectionResetError`,
    /// `ECONNRESET`).
    ConnectionResetError;
    /// Nobody listens at the address (Python's `ConnectionRefusedError`,
    /// `ECONNREFUSED`).
    ConnectionRefusedError;
    /// The connection was aborted on this side (Python's
    /// `ConnectionAbortedError`, `ECONNABORTED`).
    ConnectionAbortedError;
    /// Writing to a connection whose other end is closed (Python's
    /// `BrokenPipeError`, `EPIPE` and `ESHUTDOWN`).
    BrokenPipeError;
    /// No such file: a Unix socket path nobody bound (Python's
    /// `FileNotFoundError`, `ENOENT`).
    FileNotFoundError;
    /// Not allowed: a privileged port, a socket file one may not open
    /// (Python's `PermissionError`, `EACCES` and `EPERM`).
    PermissionError;
    /// Any other OS error (Python's `OSError`): an address already in use
    /// (`[Errno 98] Address already in use`), a descriptor that is not
    /// open, an unreachable network. (`ETIMEDOUT` is
    /// [`TimeoutError`], as in Python.)
    OsError;
    /// A host name that does not resolve (Python's `socket.gaierror`).
    /// The OS reports it without an errno; the message is the resolver's.
    GaiError;
}

impl OsError {
    /// Whether the address was already in use (`EADDRINUSE`).
    #[must_use]
    pub fn is_address_in_use(&self) -> bool {
        self.0.kind() == io::ErrorKind::AddrInUse
    }
}

/// The OS error `error` under its Python name: CPython's errno table
/// (`Objects/exceptions.c`) for the errors a socket meets. std sorts the
/// errnos into the same kinds, but for `ESHUTDOWN`.
pub(crate) fn os_error(error: io::Error) -> AnyError {
    match error.kind() {
        io::ErrorKind::ConnectionReset => ConnectionResetError(error).into(),
        io::ErrorKind::ConnectionRefused => ConnectionRefusedError(error).into(),
        io::ErrorKind::ConnectionAborted => ConnectionAbortedError(error).into(),
        io::ErrorKind::BrokenPipe => BrokenPipeError(error).into(),
        _ if is_shutdown(&error) => BrokenPipeError(error).into(),
        io::ErrorKind::TimedOut => TimeoutError::from_os(error).into(),
        io::ErrorKind::NotFound => FileNotFoundError(error).into(),
        io::ErrorKind::PermissionDenied => PermissionError(error).into(),
        _ => OsError(error).into(),
    }
}

/// `ESHUTDOWN`: a send after the socket's writing side was shut down.
#[cfg(unix)]
fn is_shutdown(error: &io::Error) -> bool {
    error.raw_os_error() == Some(rustix::io::Errno::SHUTDOWN.raw_os_error())
}

#[cfg(not(unix))]
fn is_shutdown(_: &io::Error) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::{
        BrokenPipeError, ConnectionAbortedError, ConnectionRefusedError, ConnectionResetError,
        FileNotFoundError, OsError, PermissionError, os_error,
    };
    use crate::{AnyError, asyncio::TimeoutError};
    use std::io;

    /// The Python class an error stands for.
    fn python_class(e: &AnyError) -> &'static str {
        if e.is::<ConnectionResetError>() {
            "ConnectionResetError"
        } else if e.is::<ConnectionRefusedError>() {
            "ConnectionRefusedError"
        } else if e.is::<ConnectionAbortedError>() {
            "ConnectionAbortedError"
        } else if e.is::<BrokenPipeError>() {
            "BrokenPipeError"
        } else if e.is::<TimeoutError>() {
            "TimeoutError"
        } else if e.is::<FileNotFoundError>() {
            "FileNotFoundError"
        } else if e.is::<PermissionError>() {
            "PermissionError"
        } else if e.is::<OsError>() {
            "OSError"
        } else {
            "not an OS error"
        }
    }

    #[test]
    fn each_socket_errno_becomes_the_class_cpython_gives_it_keeping_its_io_error() {
        // CPython 3.11 on Linux: `type(OSError(errno.X, "")).__name__`. The
        // process-only classes (ChildProcessError, ProcessLookupError) and
        // the ones the loop handles itself (BlockingIOError,
        // InterruptedError) are not among a socket's errors here.
        let cpython = [
            ("ECONNRESET", 104, "ConnectionResetError"),
            ("ECONNREFUSED", 111, "ConnectionRefusedError"),
            ("ECONNABORTED", 103, "ConnectionAbortedError"),
            ("EPIPE", 32, "BrokenPipeError"),
            ("ESHUTDOWN", 108, "BrokenPipeError"),
            ("ETIMEDOUT", 110, "TimeoutError"),
            ("ENOENT", 2, "FileNotFoundError"),
            ("EACCES", 13, "PermissionError"),
            ("EPERM", 1, "PermissionError"),
            ("EADDRINUSE", 98, "OSError"),
            ("EADDRNOTAVAIL", 99, "OSError"),
            ("ENETUNREACH", 101, "OSError"),
            ("EHOSTUNREACH", 113, "OSError"),
            ("EBADF", 9, "OSError"),
            ("ENOTCONN", 107, "OSError"),
        ];
        for (name, errno, class) in cpython {
            let e = os_error(io::Error::from_raw_os_error(errno));
            assert_eq!(python_class(&e), class, "{name}");
            let kept = e
                .as_error()
                .source()
                .and_then(|s| s.downcast_ref::<io::Error>());
            assert_eq!(
                kept.and_then(io::Error::raw_os_error),
                Some(errno),
                "{name}"
            );
            assert!(
                e.to_string().starts_with(&format!("[Errno {errno}] ")),
                "{name}: {e}"
            );
        }
    }

    #[test]
    fn an_os_timeout_and_a_loop_deadline_are_both_caught_as_timeout_error() {
        let os = os_error(io::Error::from_raw_os_error(110));
        let deadline = AnyError::from(TimeoutError::new());
        assert!(os.is::<TimeoutError>() && deadline.is::<TimeoutError>());
        assert_eq!(os.to_string(), "[Errno 110] Connection timed out");
        let os = os.downcast_ref::<TimeoutError>().unwrap();
        assert_eq!(os.errno(), Some(110));
        assert_eq!(
            deadline.downcast_ref::<TimeoutError>().unwrap().errno(),
            None
        );
        assert!(deadline.as_error().source().is_none());
        assert_eq!(format!("{:?}", TimeoutError::new()), "TimeoutError");
    }

    #[test]
    fn an_os_error_says_what_python_says_and_keeps_the_io_error() {
        let e = os_error(io::Error::from_raw_os_error(104));
        assert!(e.is::<ConnectionResetError>());
        assert_eq!(e.to_string(), "[Errno 104] Connection reset by peer");
        let source = e.as_error().source().unwrap();
        let io = source.downcast_ref::<io::Error>().unwrap();
        assert_eq!(io.raw_os_error(), Some(104));
    }

    #[test]
    fn address_in_use_is_an_os_error_with_errno_98() {
        let e = os_error(io::Error::from_raw_os_error(98));
        let os = e.downcast_ref::<OsError>().unwrap();
        assert!(os.is_address_in_use());
        assert_eq!(os.errno(), Some(98));
        assert_eq!(e.to_string(), "[Errno 98] Address already in use");
    }
}
