//! Handles to scheduled callbacks.

use super::event_loop::LoopInner;
use std::{
    cell::{Cell, RefCell},
    fmt,
    rc::{Rc, Weak},
};

pub(crate) type Callback = Box<dyn FnOnce()>;

pub(crate) struct HandleInner {
    callback: RefCell<Option<Callback>>,
    cancelled: Cell<bool>,
    /// The deadline, for a timer.
    pub(crate) when: Option<f64>,
    /// What the callback is, for debug reports.
    pub(crate) label: Label,
    /// A timer's loop, told when a timer still in its heap is cancelled
    /// (empty for other callbacks: `Weak::new` allocates nothing).
    lp: Weak<LoopInner>,
    /// Whether the timer is in its loop's heap (CPython's `_scheduled`).
    in_heap: Cell<bool>,
}

/// What a scheduled callback is, rendered only when a report needs it.
#[derive(Clone)]
pub(crate) enum Label {
    Callback,
    Timer,
    TaskStep(TaskName),
    #[cfg(unix)]
    Io(std::os::fd::RawFd, super::selector::Direction),
}

/// A task's name: `Task-N` is kept as its number and only spelled out when
/// someone asks, so that making a task allocates no string.
#[derive(Clone)]
pub(crate) enum TaskName {
    Numbered(u64),
    Given(Rc<str>),
}

impl fmt::Display for TaskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Numbered(n) => write!(f, "Task-{n}"),
            Self::Given(name) => f.write_str(name),
        }
    }
}

impl Label {
    /// The kind a report shows.
    pub(crate) fn kind(&self) -> super::report::EntryKind {
        use super::report::EntryKind;
        match self {
            Self::Callback => EntryKind::Callback,
            Self::Timer => EntryKind::Timer,
            Self::TaskStep(name) => EntryKind::TaskStep {
                task: name.to_string(),
            },
            #[cfg(unix)]
            Self::Io(..) => EntryKind::Io,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Callback => f.write_str("<Handle>"),
            Self::Timer => f.write_str("<TimerHandle>"),
            Self::TaskStep(name) => write!(f, "<Task {name}>.__step()"),
            #[cfg(unix)]
            Self::Io(fd, super::selector::Direction::Read) => write!(f, "<Handle reader fd={fd}>"),
            #[cfg(unix)]
            Self::Io(fd, super::selector::Direction::Write) => write!(f, "<Handle writer fd={fd}>"),
        }
    }
}

impl HandleInner {
    pub(crate) fn new(callback: Callback, label: Label) -> Rc<Self> {
        Rc::new(Self {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
            when: None,
            label,
            lp: Weak::new(),
            in_heap: Cell::new(false),
        })
    }

    /// A timer due at `when`, about to go into `lp`'s heap.
    pub(crate) fn new_timer(callback: Callback, when: f64, lp: Weak<LoopInner>) -> Rc<Self> {
        Rc::new(Self {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
            when: Some(when),
            label: Label::Timer,
            lp,
            in_heap: Cell::new(true),
        })
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    pub(crate) fn set_in_heap(&self, in_heap: bool) {
        self.in_heap.set(in_heap);
    }

    /// For the timer queue's tests, which check the flag against a model.
    #[cfg(test)]
    pub(crate) fn is_in_heap(&self) -> bool {
        self.in_heap.get()
    }

    /// Runs the callback once; a cancelled or already run handle does
    /// nothing.
    pub(crate) fn run(&self) {
        if self.cancelled.get() {
            return;
        }
        let callback = self.callback.borrow_mut().take();
        if let Some(callback) = callback {
            callback();
        }
    }
}

/// A callback scheduled with `call_soon`, `call_later` or `call_at`
/// (Python's `asyncio.Handle` and `asyncio.TimerHandle`).
///
/// Cancelling it before it runs means it never runs.
#[derive(Clone)]
pub struct Handle(pub(crate) Rc<HandleInner>);

impl Handle {
    /// Cancels the callback: it will not run. Cancelling twice, or after it
    /// ran, does nothing.
    pub fn cancel(&self) {
        let again = self.0.cancelled.replace(true);
        // Drop what the callback holds now, as CPython does.
        let callback = self.0.callback.borrow_mut().take();
        drop(callback);
        if !again && self.0.in_heap.get() {
            if let Some(lp) = self.0.lp.upgrade() {
                lp.timer_cancelled();
            }
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    #[must_use]
    pub fn cancelled(&self) -> bool {
        self.0.cancelled.get()
    }

    /// The loop time the callback is scheduled for, for a timer.
    #[must_use]
    pub fn when(&self) -> Option<f64> {
        self.0.when
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("callback", &self.0.label.to_string())
            .field("when", &self.0.when)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// A reader's or writer's callback: run each time its descriptor is ready,
/// until it is removed (the `Handle` that CPython's selector keeps).
pub(crate) struct IoHandle {
    callback: RefCell<Box<dyn FnMut()>>,
    cancelled: Cell<bool>,
    pub(crate) label: Label,
}

impl IoHandle {
    pub(crate) fn new(callback: Box<dyn FnMut()>, label: Label) -> Rc<Self> {
        Rc::new(Self {
            callback: RefCell::new(callback),
            cancelled: Cell::new(false),
            label,
        })
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Runs the callback, unless it was removed since it was queued. A
    /// callback that, running, removes or replaces itself finishes its run.
    pub(crate) fn run(&self) {
        if self.cancelled.get() {
            return;
        }
        if let Ok(mut callback) = self.callback.try_borrow_mut() {
            callback();
        }
    }

    /// It will not run again; what it holds is dropped now unless it is
    /// running.
    pub(crate) fn cancel(&self) {
        self.cancelled.set(true);
        if let Ok(mut callback) = self.callback.try_borrow_mut() {
            let removed = std::mem::replace(&mut *callback, Box::new(|| {}));
            drop(callback);
            drop(removed);
        }
    }
}
