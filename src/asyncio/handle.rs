//! Handles to scheduled callbacks.

use std::{
    cell::{Cell, RefCell},
    fmt,
    rc::Rc,
};

pub(crate) type Callback = Box<dyn FnOnce()>;

pub(crate) struct HandleInner {
    callback: RefCell<Option<Callback>>,
    cancelled: Cell<bool>,
    /// The deadline, for a timer.
    pub(crate) when: Option<f64>,
    /// What the callback is, for debug reports.
    pub(crate) label: Label,
}

/// What a scheduled callback is, rendered only when a report needs it.
#[derive(Clone)]
pub(crate) enum Label {
    Callback,
    Timer,
    TaskStep(std::rc::Rc<str>),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Callback => f.write_str("<Handle>"),
            Self::Timer => f.write_str("<TimerHandle>"),
            Self::TaskStep(name) => write!(f, "<Task {name}>.__step()"),
        }
    }
}

impl HandleInner {
    pub(crate) fn new(callback: Callback, when: Option<f64>, label: Label) -> Rc<Self> {
        Rc::new(Self {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
            when,
            label,
        })
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
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
        self.0.cancelled.set(true);
        // Drop what the callback holds now, as CPython does.
        self.0.callback.borrow_mut().take();
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
