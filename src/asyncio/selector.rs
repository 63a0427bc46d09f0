//! The loop's window on the operating system: which file descriptors it
//! watches, for reading or writing, and the callbacks their readiness
//! runs (Python's `selectors` module under tulip's `BaseSelectorEventLoop`).
//!
//! mio registers descriptors edge-triggered; asyncio's readers and writers
//! are level-triggered (a reader that leaves data unread is called again on
//! the next iteration). Each descriptor that reports readiness is therefore
//! re-armed at once: on Linux, epoll re-checks a re-armed descriptor when it
//! next collects events, so one that was drained meanwhile is not reported,
//! and one that was not is, exactly as with a level-triggered selector.

use super::{
    errors::{RuntimeError, ValueError},
    event_loop::EventLoop,
    handle::{IoHandle, Label},
    os_errors::os_error,
};
use crate::AnyError;
use mio::{Events, Interest, Poll, Token, Waker, unix::SourceFd};
use std::{
    cell::RefCell,
    collections::HashMap,
    io,
    os::fd::{AsRawFd, RawFd},
    rc::Rc,
    sync::Arc,
    time::Duration,
};

/// The token of the waker that other threads use to end a wait early.
const WAKE: Token = Token(usize::MAX);

/// Which way a callback watches its descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// What a descriptor is watched for. Invariant: an entry exists only while
/// at least one of the two is set, and then the descriptor is registered
/// with the poll for exactly those directions.
#[derive(Default)]
struct Watch {
    reader: Option<Rc<IoHandle>>,
    writer: Option<Rc<IoHandle>>,
}

impl Watch {
    fn slot(&mut self, direction: Direction) -> &mut Option<Rc<IoHandle>> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }

    fn interest(&self) -> Option<Interest> {
        match (self.reader.is_some(), self.writer.is_some()) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        }
    }
}

pub(crate) struct Selector {
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    waker: Arc<Waker>,
    watched: RefCell<HashMap<RawFd, Watch>>,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
        Ok(Self {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            waker,
            watched: RefCell::new(HashMap::new()),
        })
    }

    /// What other threads wake a waiting [`select`](Self::select) with.
    pub(crate) fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// Whether any descriptor is watched.
    pub(crate) fn is_watching(&self) -> bool {
        !self.watched.borrow().is_empty()
    }

    /// How many descriptors are watched.
    pub(crate) fn watched(&self) -> usize {
        self.watched.borrow().len()
    }

    /// Watches `fd` in `direction` with `callback`, replacing (and
    /// cancelling) the one watching it that way before.
    ///
    /// # Errors
    ///
    /// The OS's refusal: a descriptor that is not open (`EBADF`), or one
    /// that cannot be polled, such as a regular file (`EPERM`).
    pub(crate) fn watch(
        &self,
        fd: RawFd,
        direction: Direction,
        callback: Box<dyn FnMut()>,
    ) -> io::Result<()> {
        let handle = IoHandle::new(callback, Label::Io(fd, direction));
        let mut watched = self.watched.borrow_mut();
        let before = watched.get(&fd).and_then(Watch::interest);
        let mut watch = watched.remove(&fd).unwrap_or_default();
        let replaced = watch.slot(direction).replace(handle);
        let Some(interest) = watch.interest() else {
            unreachable!("a watch with a callback has an interest")
        };
        if let Err(e) = self.arm(fd, before, interest) {
            // Leave the descriptor as it was.
            *watch.slot(direction) = replaced;
            if watch.interest().is_some() {
                watched.insert(fd, watch);
            }
            return Err(e);
        }
        watched.insert(fd, watch);
        drop(watched);
        if let Some(replaced) = replaced {
            replaced.cancel();
        }
        Ok(())
    }

    /// Stops watching `fd` in `direction`; whether it was watched that way.
    pub(crate) fn unwatch(&self, fd: RawFd, direction: Direction) -> bool {
        let mut watched = self.watched.borrow_mut();
        let Some(mut watch) = watched.remove(&fd) else {
            return false;
        };
        let removed = watch.slot(direction).take();
        let poll = self.poll.borrow();
        let registry = poll.registry();
        match watch.interest() {
            Some(interest) => {
                // A descriptor closed meanwhile has left the poll already.
                if registry
                    .reregister(&mut SourceFd(&fd), token(fd), interest)
                    .is_ok()
                {
                    watched.insert(fd, watch);
                }
            }
            None => {
                let _ = registry.deregister(&mut SourceFd(&fd));
            }
        }
        drop((poll, watched));
        match removed {
            Some(handle) => {
                handle.cancel();
                true
            }
            None => false,
        }
    }

    /// Registers `fd` for `interest`, or changes its registration.
    fn arm(&self, fd: RawFd, before: Option<Interest>, interest: Interest) -> io::Result<()> {
        let poll = self.poll.borrow();
        let registry = poll.registry();
        let source = &mut SourceFd(&fd);
        if before.is_some() {
            match registry.reregister(source, token(fd), interest) {
                // Closed and reopened under the same number since: the old
                // registration went with the old file.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => return other,
            }
        }
        registry.register(source, token(fd), interest)
    }

    /// Waits for readiness for at most `timeout` (forever if `None`), and
    /// gives the callbacks of the descriptors that are ready, readers
    /// before writers for each.
    ///
    /// # Errors
    ///
    /// The OS's error from the wait; an interrupted wait is no error and
    /// gives nothing.
    pub(crate) fn select(&self, timeout: Option<Duration>) -> io::Result<Vec<Rc<IoHandle>>> {
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        let mut ready = Vec::new();
        let watched = self.watched.borrow();
        let poll = self.poll.borrow();
        for event in &*events {
            if event.token() == WAKE {
                continue;
            }
            let fd = fd_of(event.token());
            let Some(watch) = watched.get(&fd) else {
                continue;
            };
            let failed = event.is_error();
            if let Some(reader) = &watch.reader {
                if failed || event.is_readable() || event.is_read_closed() {
                    ready.push(reader.clone());
                }
            }
            if let Some(writer) = &watch.writer {
                if failed || event.is_writable() || event.is_write_closed() {
                    ready.push(writer.clone());
                }
            }
            if let Some(interest) = watch.interest() {
                // Re-armed, so that what is left unread is seen again.
                let _ = poll
                    .registry()
                    .reregister(&mut SourceFd(&fd), token(fd), interest);
            }
        }
        Ok(ready)
    }

    /// Stops watching everything, cancelling every callback.
    pub(crate) fn clear(&self) {
        let watched = std::mem::take(&mut *self.watched.borrow_mut());
        let poll = self.poll.borrow();
        for (fd, watch) in watched {
            let _ = poll.registry().deregister(&mut SourceFd(&fd));
            for handle in [watch.reader, watch.writer].into_iter().flatten() {
                handle.cancel();
            }
        }
    }
}

fn token(fd: RawFd) -> Token {
    Token(usize::try_from(fd).unwrap_or(usize::MAX - 1))
}

fn fd_of(token: Token) -> RawFd {
    RawFd::try_from(token.0).unwrap_or(-1)
}

/// Watching file descriptors, as tulip's selector loop does (Unix only).
///
/// A reader's callback runs in each iteration in which its descriptor can
/// be read without blocking (or is at end of file, or has an error), until
/// it is removed; a writer's likewise for writing. The callback is queued
/// behind the callbacks already ready, as `call_soon` would queue it.
impl EventLoop {
    /// Runs `callback` whenever `fd` is ready for reading (Python's
    /// `loop.add_reader`). A second reader for the same descriptor
    /// replaces the first, which will not run again.
    ///
    /// The loop only watches: it neither reads nor closes the descriptor.
    /// Remove the reader before closing it.
    ///
    /// # Errors
    ///
    /// `RuntimeError("Event loop is closed")` on a closed loop;
    /// `ValueError("Invalid file descriptor: -1")` for a negative one; the
    /// OS's refusal under its Python name, keeping its `io::Error`: `OsError`
    /// `[Errno 9] Bad file descriptor` for a descriptor that is not open,
    /// [`PermissionError`](super::PermissionError) `[Errno 1] Operation not
    /// permitted` for one that cannot be watched, such as a regular file.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{io::{Read, Write}, os::unix::net::UnixStream};
    /// use yieldfrom::asyncio::{ClockKind, EventLoop};
    ///
    /// let lp = EventLoop::new(ClockKind::Real);
    /// let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    /// ours.set_nonblocking(true).unwrap();
    /// let watcher = lp.clone();
    /// let mut reading = ours.try_clone().unwrap();
    /// lp.add_reader(&ours, move || {
    ///     let mut buf = [0; 16];
    ///     let n = reading.read(&mut buf).unwrap();
    ///     assert_eq!(&buf[..n], b"ping");
    ///     watcher.stop();
    /// })
    /// .unwrap();
    /// theirs.write_all(b"ping").unwrap();
    /// lp.run_forever().unwrap();
    /// assert!(lp.remove_reader(&ours));
    /// ```
    pub fn add_reader(
        &self,
        fd: &impl AsRawFd,
        callback: impl FnMut() + 'static,
    ) -> Result<(), AnyError> {
        self.watch(fd.as_raw_fd(), Direction::Read, Box::new(callback))
    }

    /// Stops watching `fd` for reading (Python's `loop.remove_reader`);
    /// whether a reader was registered. On a closed loop, `false`.
    pub fn remove_reader(&self, fd: &impl AsRawFd) -> bool {
        self.unwatch(fd.as_raw_fd(), Direction::Read)
    }

    /// Runs `callback` whenever `fd` is ready for writing (Python's
    /// `loop.add_writer`), as [`add_reader`](Self::add_reader) for reading.
    ///
    /// # Errors
    ///
    /// As [`add_reader`](Self::add_reader).
    pub fn add_writer(
        &self,
        fd: &impl AsRawFd,
        callback: impl FnMut() + 'static,
    ) -> Result<(), AnyError> {
        self.watch(fd.as_raw_fd(), Direction::Write, Box::new(callback))
    }

    /// Stops watching `fd` for writing (Python's `loop.remove_writer`);
    /// whether a writer was registered. On a closed loop, `false`.
    pub fn remove_writer(&self, fd: &impl AsRawFd) -> bool {
        self.unwatch(fd.as_raw_fd(), Direction::Write)
    }

    fn watch(
        &self,
        fd: RawFd,
        direction: Direction,
        callback: Box<dyn FnMut()>,
    ) -> Result<(), AnyError> {
        if self.is_closed() {
            return Err(RuntimeError::new("Event loop is closed").into());
        }
        if fd < 0 {
            return Err(ValueError::new(format!("Invalid file descriptor: {fd}")).into());
        }
        let selector = self.selector()?;
        selector.watch(fd, direction, callback).map_err(os_error)
    }

    fn unwatch(&self, fd: RawFd, direction: Direction) -> bool {
        let selector = self.0.selector.borrow().clone();
        selector.is_some_and(|s| s.unwatch(fd, direction))
    }

    /// The loop's selector, made on first use; from then on other threads
    /// wake the loop through it.
    fn selector(&self) -> Result<Rc<Selector>, AnyError> {
        if let Some(selector) = self.0.selector.borrow().as_ref() {
            return Ok(selector.clone());
        }
        let selector = Rc::new(Selector::new().map_err(AnyError::new)?);
        self.0.remote.set_os_waker(selector.waker());
        *self.0.selector.borrow_mut() = Some(selector.clone());
        Ok(selector)
    }
}
