//! One iteration of the loop, as CPython's `BaseEventLoop._run_once`:
//! wait (on the clock, the OS or other threads) as long as nothing is
//! ready, then run what was ready when the iteration began, due timers
//! after it.

#[cfg(unix)]
use super::selector::Selector;
use super::{
    clock::Clock, errors::RuntimeError, event_loop::EventLoop, handle::Label, ready::Ready, record,
    report::LoopReport, timers::Entry,
};
use crate::{AnyError, exception::panic_message};
use std::{
    panic::{self, AssertUnwindSafe},
    rc::Rc,
    time::{Duration, Instant},
};

impl EventLoop {
    /// One iteration, as CPython's `BaseEventLoop._run_once`.
    pub(super) fn run_once(&self) -> Result<(), AnyError> {
        let inner = &*self.0;
        let deadline = inner.timers.borrow_mut().next_deadline();
        self.take_remote_calls();
        let idle = inner.ready.borrow().is_empty() && !inner.stopping.get();
        #[cfg(unix)]
        if let Some(selector) = self.watching_selector() {
            self.select(&selector, idle, deadline)?;
            self.run_ready();
            return Ok(());
        }
        if idle {
            match (deadline, &inner.clock) {
                (Some(when), Clock::Virtual(_)) => inner.clock.jump_to(when),
                (Some(when), Clock::Real(_)) => {
                    // Waits are cut at a day, as CPython cuts its selector's
                    // timeout, so that a far deadline converts to a Duration.
                    let timeout = (when - inner.clock.now()).clamp(0.0, MAX_WAIT);
                    inner.remote.wait(Some(Duration::from_secs_f64(timeout)));
                }
                (None, _) if inner.remote.expecting() => inner.remote.wait(None),
                (None, _) => return Err(would_wait_forever()),
            }
            self.take_remote_calls();
        }
        self.run_ready();
        Ok(())
    }

    /// The selector, if the loop watches any descriptor.
    #[cfg(unix)]
    fn watching_selector(&self) -> Option<Rc<Selector>> {
        self.0
            .selector
            .borrow()
            .as_ref()
            .filter(|s| s.is_watching())
            .cloned()
    }

    /// Step 2 of an iteration for a loop that watches descriptors: ask the
    /// OS what is ready, waiting as long as nothing else can happen, and
    /// queue the callbacks of what is. On the virtual clock the OS is asked
    /// without waiting while a timer is pending, and the clock jumps to
    /// the timer only if nothing was ready; with no timer the loop waits
    /// on the OS as the real clock does.
    #[cfg(unix)]
    fn select(
        &self,
        selector: &Selector,
        idle: bool,
        deadline: Option<f64>,
    ) -> Result<(), AnyError> {
        let inner = &*self.0;
        let timeout = match (idle, deadline, &inner.clock) {
            (false, _, _) | (true, Some(_), Clock::Virtual(_)) => Some(Duration::ZERO),
            (true, Some(when), Clock::Real(_)) => Some(Duration::from_secs_f64(
                (when - inner.clock.now()).clamp(0.0, MAX_WAIT),
            )),
            // Only `run`'s Ctrl+C watch is left: nothing the program waits
            // for can come, as without descriptors.
            (true, None, _)
                if !inner.remote.expecting()
                    && selector.watched() == inner.signals.passive_watches() =>
            {
                return Err(would_wait_forever());
            }
            (true, None, _) => None,
        };
        let ready = selector.select(timeout)?;
        let woken = !ready.is_empty();
        inner
            .ready
            .borrow_mut()
            .extend(ready.into_iter().map(Ready::Io));
        self.take_remote_calls();
        if let (true, false, Some(when)) = (idle, woken, deadline) {
            inner.clock.jump_to(when);
        }
        Ok(())
    }

    /// Steps 3 to 5 of an iteration: due timers join the ready queue, and
    /// what was ready when the iteration began runs.
    fn run_ready(&self) {
        let inner = &*self.0;
        let end = inner.clock.now() + inner.clock.resolution();
        {
            let mut ready = inner.ready.borrow_mut();
            inner.timers.borrow_mut().take_due(end, |entry| {
                ready.push_back(match entry {
                    Entry::Handle(handle) => Ready::Handle(handle),
                    Entry::Alarm(alarm) => Ready::Alarm(alarm),
                });
            });
        }
        let ntodo = inner.ready.borrow().len();
        for _ in 0..ntodo {
            let entry = inner.ready.borrow_mut().pop_front();
            match entry {
                Some(Ready::Handle(handle)) if !handle.is_cancelled() => {
                    let label = handle.label.clone();
                    let start = inner.recording.get().then(|| inner.clock.now());
                    self.run_entry(|| handle.run(), || label.clone());
                    if let Some(start) = start {
                        record::callback_ran(inner, start, &label, handle.when);
                    }
                }
                Some(Ready::Step(task, error)) => {
                    let label = || task.label();
                    let step = task.clone();
                    self.run_entry(move || step.step(self, error), label);
                }
                #[cfg(unix)]
                Some(Ready::Io(handle)) if !handle.is_cancelled() => {
                    let label = handle.label.clone();
                    let start = inner.recording.get().then(|| inner.clock.now());
                    self.run_entry(|| handle.run(), || label.clone());
                    if let Some(start) = start {
                        record::callback_ran(inner, start, &label, None);
                    }
                }
                #[cfg(unix)]
                Some(Ready::Io(_)) => {}
                Some(Ready::Wakeup(task)) => {
                    // Recorded as the `call_soon` callback it stands for.
                    let start = inner.recording.get().then(|| inner.clock.now());
                    self.run_entry(move || task.wakeup(self), || Label::Callback);
                    if let Some(start) = start {
                        record::callback_ran(inner, start, &Label::Callback, None);
                    }
                }
                Some(Ready::Alarm(alarm)) => {
                    // Recorded as the timer callback it stands for.
                    let start = inner.recording.get().then(|| inner.clock.now());
                    self.run_entry(|| alarm.ring(), || Label::Timer);
                    if let Some(start) = start {
                        record::callback_ran(inner, start, &Label::Timer, Some(alarm.when()));
                    }
                }
                Some(Ready::Handle(_)) => {}
                None => break,
            }
        }
    }

    /// Moves the calls other threads made into the ready queue.
    fn take_remote_calls(&self) {
        let Some(calls) = self.0.remote.drain() else {
            return;
        };
        for call in calls {
            let lp = self.clone();
            let _ = self.schedule_soon(Box::new(move || call(&lp)), Label::Callback);
        }
    }

    /// Runs one ready entry; a panic is reported and the loop goes on, and
    /// in debug mode a slow entry is reported.
    // Measured: inlined into `run_ready`, a task switch took 2–3% less.
    #[inline]
    fn run_entry(&self, run: impl FnOnce(), label: impl FnOnce() -> Label) {
        // The virtual clock stands still inside an entry but for the work
        // it simulates, which counts as time it ran.
        let started = self
            .0
            .debug
            .get()
            .then(|| (Instant::now(), self.0.clock.virtual_now()));
        let outcome = panic::catch_unwind(AssertUnwindSafe(run));
        if outcome.is_ok() && started.is_none() {
            return;
        }
        let label = label();
        if let Err(payload) = outcome {
            self.report(&LoopReport::CallbackPanicked {
                callback: label.to_string(),
                message: panic_message(&*payload),
            });
        }
        if let Some((started, virtual_start)) = started {
            let simulated = match (virtual_start, self.0.clock.virtual_now()) {
                (Some(start), Some(end)) => Duration::from_secs_f64(end - start),
                _ => Duration::ZERO,
            };
            let duration = started.elapsed() + simulated;
            if duration.as_secs_f64() >= self.0.slow_callback_duration.get() {
                if self.0.recording.get() {
                    record::slow_callback(&self.0, &label, duration);
                }
                self.report(&LoopReport::SlowCallback {
                    callback: label.to_string(),
                    kind: label.kind(),
                    duration,
                });
            }
        }
    }
}

/// The longest the loop waits in one go, in seconds (CPython's
/// `MAXIMUM_SELECT_TIMEOUT`).
const MAX_WAIT: f64 = 24.0 * 3600.0;

/// What a loop that could only wait forever says instead.
fn would_wait_forever() -> AnyError {
    RuntimeError::new(
        "the event loop has nothing ready, nothing scheduled and no other \
         thread that could call in: it would wait forever",
    )
    .into()
}
