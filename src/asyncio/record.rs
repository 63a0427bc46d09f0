//! A recording of what the loop did: which task ran when, what it waited
//! on, how it ended, and the callbacks and timers around it.
//!
//! Recording is off by default; each place that records checks one flag of
//! the loop first, so a loop that does not record pays a load and a branch
//! there and nothing else.

use super::{
    clock::ClockKind,
    event_loop::{EventLoop, LoopInner},
    future::{Future, Waitable},
    handle::{Label, TaskName},
};
use std::{collections::HashMap, time::Duration};

/// What [`EventLoop::take_record`] hands back: the events of a loop in the
/// order they happened, with times on the loop's clock (in seconds, as
/// [`EventLoop::time`] gives them).
///
/// It is plain data, for tests to assert on and for
/// [`to_svg`](Self::to_svg) and [`to_chrome_trace`](Self::to_chrome_trace)
/// to render.
///
/// # Examples
///
/// ```
/// use yieldfrom::asyncio::{
///     AfterStep, ClockKind, EventLoop, RecordEvent, coroutine, sleep,
/// };
///
/// let lp = EventLoop::new(ClockKind::Virtual);
/// lp.start_recording();
/// lp.run_until_complete(coroutine("main", |co| async move {
///     co.yield_from(sleep(1.5)).await
/// }))
/// .unwrap();
/// let record = lp.take_record();
/// let waits: Vec<(f64, &AfterStep)> = record
///     .events
///     .iter()
///     .filter_map(|e| match e {
///         RecordEvent::StepEnded { time, then, .. } => Some((*time, then)),
///         _ => None,
///     })
///     .collect();
/// assert_eq!(waits[0], (0.0, &AfterStep::Waiting("sleep".to_owned())));
/// assert!(matches!(waits[1], (1.5, AfterStep::Finished(_))));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The clock the times are on.
    pub clock: ClockKind,
    /// What happened, in order.
    pub events: Vec<RecordEvent>,
}

/// A task in a [`Record`]: numbered from 1 in the order the recording
/// first saw the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u64);

/// One thing the loop did, in a [`Record`]. Every time is loop time in
/// seconds.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RecordEvent {
    /// A task was made (or, for a task made before the recording began,
    /// first seen).
    TaskCreated {
        /// When.
        time: f64,
        /// Which.
        task: TaskId,
        /// Its name, as it was then (`Task-N` unless it was given one).
        name: String,
        /// The name of its coroutine, if known.
        coroutine: Option<String>,
        /// The task whose step made it, if one did.
        by: Option<TaskId>,
    },
    /// A task's step began: its coroutine was resumed.
    StepStarted {
        /// When.
        time: f64,
        /// Which task.
        task: TaskId,
    },
    /// A task's step ended: its coroutine yielded, returned or raised.
    StepEnded {
        /// When.
        time: f64,
        /// Which task.
        task: TaskId,
        /// What the task does next.
        then: AfterStep,
    },
    /// Someone asked a task to cancel.
    CancelRequested {
        /// When.
        time: f64,
        /// Which task.
        task: TaskId,
        /// The message given for its `CancelledError`.
        message: Option<String>,
        /// The task whose step asked, if one did.
        by: Option<TaskId>,
    },
    /// A `wait_for` ran out of time: what it waited for is about to be
    /// cancelled, and `TimeoutError` raised in the task.
    TimedOut {
        /// When.
        time: f64,
        /// The task that called `wait_for`.
        task: Option<TaskId>,
    },
    /// A timer was scheduled (`call_later`, `call_at`, and what `sleep`
    /// and the timeouts schedule).
    TimerScheduled {
        /// When it was scheduled.
        time: f64,
        /// When it is due.
        when: f64,
    },
    /// A callback ran: a `call_soon` callback (the wake-up of a task is
    /// one, and the task's step runs inside it), a timer, or a reader or
    /// writer whose descriptor was ready.
    CallbackRan {
        /// When it began.
        start: f64,
        /// When it ended.
        end: f64,
        /// What it was.
        kind: CallbackKind,
    },
    /// In debug mode, a callback or step ran for at least the slow-callback
    /// duration (see [`LoopReport::SlowCallback`](super::LoopReport::SlowCallback)).
    SlowCallback {
        /// When it was noticed (as it ended).
        time: f64,
        /// What it was.
        callback: String,
        /// How long it ran, on the real clock.
        duration: Duration,
    },
}

/// What a task does after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterStep {
    /// It waits on a future: the future's [label](Future::set_label)
    /// (`"sleep"`, `"Lock.acquire"`, `"Queue.get"`, ...), or the name of
    /// the task it waits for.
    Waiting(String),
    /// It gave up its turn (`Suspend::NOW`, `sleep(0)`) and runs again on
    /// the next iteration.
    Yielded,
    /// It is done.
    Finished(Outcome),
}

/// How a task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its coroutine returned.
    Returned,
    /// Its coroutine raised this error (its `Debug` form).
    Raised(String),
    /// It was cancelled, with this message.
    Cancelled(Option<String>),
}

/// What a callback in a [`RecordEvent::CallbackRan`] was.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CallbackKind {
    /// Scheduled with `call_soon` (done callbacks and task wake-ups too).
    Soon,
    /// A timer due at `when`.
    Timer {
        /// Its deadline.
        when: f64,
    },
    /// A reader whose descriptor was ready to read (`add_reader`).
    Reader {
        /// The descriptor.
        fd: i32,
    },
    /// A writer whose descriptor was ready to write (`add_writer`).
    Writer {
        /// The descriptor.
        fd: i32,
    },
}

/// What a recording loop keeps besides its events: which task is which.
pub(crate) struct Recorder {
    events: Vec<RecordEvent>,
    /// Tasks by the address of their state, as long as they live.
    ids: HashMap<*const (), TaskId>,
    next_id: u64,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Self {
            events: Vec::new(),
            ids: HashMap::new(),
            next_id: 1,
        }
    }

    fn fresh_id(&mut self, task: *const ()) -> TaskId {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        self.ids.insert(task, id);
        id
    }
}

impl EventLoop {
    /// Starts recording what the loop does: task creations, steps and
    /// what each waits on, cancellations, timeouts, timers, callbacks,
    /// readers and writers run, slow callbacks. Recording again while
    /// recording does nothing; [`take_record`](Self::take_record) stops it
    /// and hands the record over.
    ///
    /// A loop that does not record checks one flag at each of these places
    /// and does nothing more (`benches/scheduler.rs`, `recorder`, and
    /// docs/scheduler.md, "Recording the loop").
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, RecordEvent, coroutine, sleep};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// lp.start_recording();
    /// lp.run_until_complete(coroutine("main", |co| async move {
    ///     let worker = lp_task()?;
    ///     co.yield_from(worker.wait()).await
    /// }))
    /// .unwrap();
    /// # fn lp_task() -> Result<yieldfrom::asyncio::Task<()>, yieldfrom::AnyError> {
    /// #     EventLoop::running()?.create_named_task(
    /// #         coroutine("w", |co| async move { co.yield_from(sleep(1.0)).await }),
    /// #         "worker",
    /// #     )
    /// # }
    /// let record = lp.take_record();
    /// let names: Vec<&str> = record
    ///     .events
    ///     .iter()
    ///     .filter_map(|e| match e {
    ///         RecordEvent::TaskCreated { name, .. } => Some(name.as_str()),
    ///         _ => None,
    ///     })
    ///     .collect();
    /// assert_eq!(names.len(), 2);
    /// assert_eq!(names[1], "worker");
    /// assert!(record.to_svg().contains(">worker (w)</text>"));
    /// ```
    pub fn start_recording(&self) {
        let mut recorder = self.0.recorder.borrow_mut();
        if recorder.is_none() {
            *recorder = Some(Box::new(Recorder::new()));
        }
        self.0.recording.set(true);
    }

    /// Whether the loop is recording.
    #[must_use]
    pub fn is_recording(&self) -> bool {
        self.0.recording.get()
    }

    /// Stops recording and hands over what was recorded since
    /// [`start_recording`](Self::start_recording); an empty record if the
    /// loop was not recording.
    pub fn take_record(&self) -> Record {
        self.0.recording.set(false);
        let recorder = self.0.recorder.borrow_mut().take();
        Record {
            clock: self.clock(),
            events: recorder.map(|r| r.events).unwrap_or_default(),
        }
    }
}

/// Adds an event made at the loop's time, if the loop still has its
/// recorder (a callback may take the record while the loop runs).
fn push(lp: &LoopInner, event: impl FnOnce(f64, &mut Recorder) -> RecordEvent) {
    let time = lp.clock.now();
    if let Some(recorder) = lp.recorder.borrow_mut().as_mut() {
        let event = event(time, recorder);
        recorder.events.push(event);
    }
}

/// The id of a task seen for the first time is given now, with a
/// `TaskCreated` event under the name it has now.
fn id_of(
    recorder: &mut Recorder,
    time: f64,
    task: *const (),
    name: &TaskName,
    coroutine: Option<&'static str>,
) -> TaskId {
    if let Some(id) = recorder.ids.get(&task) {
        return *id;
    }
    let id = recorder.fresh_id(task);
    recorder.events.push(RecordEvent::TaskCreated {
        time,
        task: id,
        name: name.to_string(),
        coroutine: coroutine.map(str::to_owned),
        by: None,
    });
    id
}

/// The task whose step is running, by its id.
fn current(lp: &LoopInner, recorder: &mut Recorder, time: f64) -> Option<TaskId> {
    let current = lp.current_task.take();
    lp.current_task.set(current.clone());
    let current = current?;
    let key = current.id();
    Some(id_of(
        recorder,
        time,
        key,
        &TaskName::Given(current.name().into()),
        None,
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn task_created(
    lp: &LoopInner,
    task: *const (),
    name: &TaskName,
    coroutine: &'static str,
) {
    push(lp, |time, recorder| {
        let by = current(lp, recorder, time);
        RecordEvent::TaskCreated {
            time,
            task: recorder.fresh_id(task),
            name: name.to_string(),
            coroutine: Some(coroutine.to_owned()),
            by,
        }
    });
}

#[cold]
#[inline(never)]
pub(crate) fn step_started(
    lp: &LoopInner,
    task: *const (),
    name: &TaskName,
    coroutine: &'static str,
) {
    push(lp, |time, recorder| RecordEvent::StepStarted {
        time,
        task: id_of(recorder, time, task, name, Some(coroutine)),
    });
}

#[cold]
#[inline(never)]
pub(crate) fn step_ended<T: Clone + 'static>(
    lp: &LoopInner,
    task: *const (),
    name: &TaskName,
    future: &Future<T>,
    waiting_on: Option<&dyn Waitable>,
) {
    let then = match (future.outcome(), waiting_on) {
        (Some(outcome), _) => AfterStep::Finished(outcome),
        (None, Some(waited)) => AfterStep::Waiting(waited.describe()),
        (None, None) => AfterStep::Yielded,
    };
    push(lp, |time, recorder| RecordEvent::StepEnded {
        time,
        task: id_of(recorder, time, task, name, None),
        then,
    });
}

#[cold]
#[inline(never)]
pub(crate) fn cancel_requested(
    lp: &LoopInner,
    task: *const (),
    name: &TaskName,
    message: Option<&String>,
) {
    push(lp, |time, recorder| RecordEvent::CancelRequested {
        time,
        task: id_of(recorder, time, task, name, None),
        message: message.cloned(),
        by: current(lp, recorder, time),
    });
}

/// A `wait_for` of the running task timed out.
pub(crate) fn timed_out() {
    let Ok(lp) = EventLoop::running() else { return };
    if lp.0.recording.get() {
        push(&lp.0, |time, recorder| RecordEvent::TimedOut {
            time,
            task: current(&lp.0, recorder, time),
        });
    }
}

#[cold]
#[inline(never)]
pub(crate) fn timer_scheduled(lp: &LoopInner, when: f64) {
    push(lp, |time, _| RecordEvent::TimerScheduled { time, when });
}

/// A ready entry that began at `start` has run.
#[cold]
#[inline(never)]
pub(crate) fn callback_ran(lp: &LoopInner, start: f64, label: &Label, when: Option<f64>) {
    let kind = match (label, when) {
        (_, Some(when)) => CallbackKind::Timer { when },
        #[cfg(unix)]
        (Label::Io(fd, super::selector::Direction::Read), None) => CallbackKind::Reader { fd: *fd },
        #[cfg(unix)]
        (Label::Io(fd, super::selector::Direction::Write), None) => {
            CallbackKind::Writer { fd: *fd }
        }
        _ => CallbackKind::Soon,
    };
    push(lp, |end, _| RecordEvent::CallbackRan { start, end, kind });
}

#[cold]
#[inline(never)]
pub(crate) fn slow_callback(lp: &LoopInner, label: &Label, duration: Duration) {
    push(lp, |time, _| RecordEvent::SlowCallback {
        time,
        callback: label.to_string(),
        duration,
    });
}
