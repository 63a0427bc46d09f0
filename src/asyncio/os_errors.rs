//! The operating system's errors under Python's names.
//!
//! Python sorts `OSError` by errno into subclasses (`ConnectionResetError`
//! for `ECONNRESET`, ...); a program catches the one it expects. Here each
//! is a type an [`AnyError`] holds, so `e.is::<ConnectionResetError>()`
//! catches it, and each keeps the [`io::Error`] it came from, reachable as
//! [`Error::source`] or with `io_error()`. Its message is Python's:
//! `[Errno 104] Connection reset by peer`.

use crate::AnyError;
use std::{error::Error, fmt, io};

/// Writes an OS error as Python's `str(OSError)` does: `[Errno N] text`.
fn python_message(f: &mut fmt::Formatter<'_>, error: &io::Error) -> fmt::Result {
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
    /// `BrokenPipeError`, `EPIPE`).
    BrokenPipeError;
    /// Any other OS error (Python's `OSError`): an address already in use
    /// (`[Errno 98] Address already in use`), a descriptor that is not
    /// open, an operation timed out (`ETIMEDOUT`, which Python calls
    /// `TimeoutError`; this crate's [`TimeoutError`](super::TimeoutError)
    /// is the loop's own deadline, with no OS error to carry).
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

/// The OS error `error` under its Python name.
pub(crate) fn os_error(error: io::Error) -> AnyError {
    match error.kind() {
        io::ErrorKind::ConnectionReset => ConnectionResetError(error).into(),
        io::ErrorKind::ConnectionRefused => ConnectionRefusedError(error).into(),
        io::ErrorKind::ConnectionAborted => ConnectionAbortedError(error).into(),
        io::ErrorKind::BrokenPipe => BrokenPipeError(error).into(),
        _ => OsError(error).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{ConnectionResetError, OsError, os_error};
    use std::io;

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
