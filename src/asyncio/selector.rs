//! The loop's window on the operating system: which file descriptors it
//! watches, for reading or writing, and the callbacks their readiness
//! runs (Python's `selectors` module under tulip's `BaseSelectorEventLoop`).
//!
//! mio registers descriptors edge-triggered; asyncio's readers and writers
//! are level-triggered (a reader that leaves data unread is called again on
//! the next iteration). Each descriptor that reports readiness is therefore
//! re-armed before the next wait: on Linux, epoll re-checks a re-armed
//! descriptor when it next collects events, so one that was drained
//! meanwhile is not reported, and one that was not is, exactly as with a
//! level-triggered selector.
//!
//! A re-arm is a system call (`epoll_ctl`) per event, one in four of an
//! echo's calls. The loop's own transports skip it when they know the OS
//! has nothing left for them: a read that took less than it asked for, or a
//! send that the OS cut short, leaves the descriptor drained (or full), and
//! edge-triggered epoll reports it again as soon as more arrives (or room is
//! made). Such a callback tells the selector so ([`EventLoop::io_settled`]);
//! every other callback, a user's `add_reader` among them, keeps the
//! level-triggered behaviour. An event that says end of stream, hang-up or
//! error is re-armed at once whatever its callbacks say: a short read stops
//! at an end of stream that came with the data, and no edge would come for
//! it again.

use super::{
    errors::{RuntimeError, ValueError},
    event_loop::EventLoop,
    handle::{IoHandle, Label},
    os_errors::os_error,
};
use crate::AnyError;
use mio::{Events, Interest, Poll, Registry, Token, Waker, unix::SourceFd};
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
    /// The directions whose callbacks the last wait queued and that have
    /// not said the OS has nothing left for them: while any is set, the
    /// descriptor is re-armed before the next wait.
    unsettled: Unsettled,
}

/// Directions of a [`Watch`] still to re-arm.
#[derive(Clone, Copy, Default)]
struct Unsettled {
    read: bool,
    write: bool,
}

impl Unsettled {
    fn any(self) -> bool {
        self.read || self.write
    }
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
    /// The descriptors the last wait reported, to re-arm before the next
    /// one (those whose watch is still unsettled).
    reported: RefCell<Vec<RawFd>>,
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
            reported: RefCell::new(Vec::new()),
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
        let unsettled = std::mem::take(&mut watch.unsettled);
        let Some(interest) = watch.interest() else {
            unreachable!("a watch with a callback has an interest")
        };
        if let Err(e) = self.arm(fd, before, interest) {
            // Leave the descriptor as it was.
            *watch.slot(direction) = replaced;
            watch.unsettled = unsettled;
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
                // Re-armed here: nothing is left to re-arm.
                watch.unsettled = Unsettled::default();
                // A descriptor closed meanwhile has left the poll already.
                if reregister(registry, fd, interest).is_ok() {
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
        if before.is_some() {
            match reregister(registry, fd, interest) {
                // Closed and reopened under the same number since: the old
                // registration went with the old file.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => return other,
            }
        }
        registry.register(&mut SourceFd(&fd), token(fd), interest)
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
        self.rearm();
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        let mut ready = Vec::new();
        let mut watched = self.watched.borrow_mut();
        let mut reported = self.reported.borrow_mut();
        let poll = self.poll.borrow();
        for event in &*events {
            if event.token() == WAKE {
                continue;
            }
            let fd = fd_of(event.token());
            let Some(watch) = watched.get_mut(&fd) else {
                continue;
            };
            let failed = event.is_error();
            let closed = event.is_read_closed() || event.is_write_closed();
            if let Some(reader) = &watch.reader {
                if failed || event.is_readable() || event.is_read_closed() {
                    ready.push(reader.clone());
                    watch.unsettled.read = true;
                }
            }
            if let Some(writer) = &watch.writer {
                if failed || event.is_writable() || event.is_write_closed() {
                    ready.push(writer.clone());
                    watch.unsettled.write = true;
                }
            }
            if failed || closed || !watch.unsettled.any() {
                // Re-armed now, whatever the callbacks say: a read that
                // gets less than it asked for may stop short of an end of
                // stream that came with the data, and an error or an end
                // is no edge that comes again.
                watch.unsettled = Unsettled::default();
                if let Some(interest) = watch.interest() {
                    let _ = reregister(poll.registry(), fd, interest);
                }
            } else {
                // Re-armed before the next wait unless settled, so that
                // what is left unread (or unwritten) is seen again.
                reported.push(fd);
            }
        }
        Ok(ready)
    }

    /// Re-arms the descriptors the last wait reported whose callbacks did
    /// not all settle them.
    fn rearm(&self) {
        let mut reported = self.reported.borrow_mut();
        if reported.is_empty() {
            return;
        }
        let mut watched = self.watched.borrow_mut();
        let poll = self.poll.borrow();
        for fd in reported.drain(..) {
            let Some(watch) = watched.get_mut(&fd) else {
                continue;
            };
            if !std::mem::take(&mut watch.unsettled).any() {
                continue;
            }
            if let Some(interest) = watch.interest() {
                let _ = reregister(poll.registry(), fd, interest);
            }
        }
    }

    /// The callback watching `fd` in `direction` left the OS with nothing
    /// for it: no re-arm is needed on its account.
    pub(crate) fn settled(&self, fd: RawFd, direction: Direction) {
        if let Some(watch) = self.watched.borrow_mut().get_mut(&fd) {
            match direction {
                Direction::Read => watch.unsettled.read = false,
                Direction::Write => watch.unsettled.write = false,
            }
        }
    }

    /// Stops watching everything, cancelling every callback.
    pub(crate) fn clear(&self) {
        let watched = std::mem::take(&mut *self.watched.borrow_mut());
        self.reported.borrow_mut().clear();
        let poll = self.poll.borrow();
        for (fd, watch) in watched {
            let _ = poll.registry().deregister(&mut SourceFd(&fd));
            for handle in [watch.reader, watch.writer].into_iter().flatten() {
                handle.cancel();
            }
        }
    }
}

/// Changes the registration of `fd`, registered already, to `interest`.
fn reregister(registry: &Registry, fd: RawFd, interest: Interest) -> io::Result<()> {
    registry.reregister(&mut SourceFd(&fd), token(fd), interest)
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

    /// Says that the callback watching `fd` in `direction`, now running,
    /// left the OS with nothing for it: a read that got less than it asked
    /// for, a send cut short. Edge-triggered epoll reports the descriptor
    /// again when that changes, so the selector need not re-arm it on this
    /// callback's account (the module's docs). Only for callbacks that
    /// know this; a callback that may leave data unread must not.
    pub(crate) fn io_settled(&self, fd: RawFd, direction: Direction) {
        if let Some(selector) = self.0.selector.borrow().as_ref() {
            selector.settled(fd, direction);
        }
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

#[cfg(test)]
mod tests {
    use super::{Direction, Selector};
    use std::{
        io::Write,
        os::{fd::AsRawFd, unix::net::UnixStream},
        time::Duration,
    };

    /// A selector watching the reading end of a socket pair holding
    /// unread bytes, the pair, and the descriptor watched.
    fn watching_unread_bytes() -> (Selector, UnixStream, UnixStream, i32) {
        let selector = Selector::new().unwrap();
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let fd = ours.as_raw_fd();
        selector
            .watch(fd, Direction::Read, Box::new(|| {}))
            .unwrap();
        theirs.write_all(b"unread").unwrap();
        (selector, ours, theirs, fd)
    }

    fn reported(selector: &Selector) -> usize {
        selector.select(Some(Duration::ZERO)).unwrap().len()
    }

    #[test]
    fn a_reader_that_leaves_bytes_unread_is_reported_again_at_each_wait() {
        let (selector, _ours, _theirs, _) = watching_unread_bytes();
        assert_eq!(reported(&selector), 1);
        assert_eq!(reported(&selector), 1, "level-triggered, as Python's");
        assert_eq!(reported(&selector), 1);
    }

    #[test]
    fn a_reader_settled_by_its_callback_is_not_re_armed_and_is_reported_again_when_more_arrives() {
        let (selector, _ours, mut theirs, fd) = watching_unread_bytes();
        assert_eq!(reported(&selector), 1);
        // What a transport says after a short read; here the bytes stay,
        // which shows that no re-arm (no system call) was made for it.
        selector.settled(fd, Direction::Read);
        assert_eq!(reported(&selector), 0);
        theirs.write_all(b"more").unwrap();
        assert_eq!(reported(&selector), 1, "the new bytes are an edge");
    }

    #[test]
    fn a_reader_that_settled_with_the_end_of_stream_already_there_is_reported_again() {
        let (selector, _ours, theirs, fd) = watching_unread_bytes();
        theirs.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(reported(&selector), 1);
        // A short read stops at the end of stream, which came with the
        // data: no new edge will announce it.
        selector.settled(fd, Direction::Read);
        assert_eq!(reported(&selector), 1);
    }

    #[test]
    fn a_reader_replaced_after_it_settled_is_armed_again_by_the_replacement() {
        let (selector, _ours, _theirs, fd) = watching_unread_bytes();
        assert_eq!(reported(&selector), 1);
        selector.settled(fd, Direction::Read);
        selector
            .watch(fd, Direction::Read, Box::new(|| {}))
            .unwrap();
        assert_eq!(reported(&selector), 1);
    }
}
