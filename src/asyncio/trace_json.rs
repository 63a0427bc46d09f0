//! A [`Record`] as Chrome's trace-event JSON, which Perfetto
//! (<https://ui.perfetto.dev>) and `chrome://tracing` open.

use super::record::{AfterStep, CallbackKind, Outcome, Record, RecordEvent, TaskId};
use std::{collections::HashMap, fmt::Write as _};

/// The thread of the loop's own callbacks; task `n` is thread `n`.
const LOOP_TID: u64 = 0;

impl Record {
    /// The record as a Chrome trace-event JSON document (the "JSON object
    /// format": `{"traceEvents": [...]}`), timestamps in microseconds of
    /// loop time:
    ///
    /// - one thread per task, named as the task (`"ph": "M"`,
    ///   `thread_name` metadata), with its id as `tid`, and thread 0,
    ///   `event loop`, for callbacks and timers;
    /// - a complete event (`"ph": "X"`) per step, named after the task, in
    ///   category `step`, and one per wait, named `wait: <what>`, in
    ///   category `wait`;
    /// - an instant event (`"ph": "i"`) where a task is asked to cancel,
    ///   where a `wait_for` times out, and where a task ends;
    /// - a complete event per callback run, on thread 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, sleep};
    ///
    /// let lp = EventLoop::new(ClockKind::Virtual);
    /// lp.start_recording();
    /// lp.run_until_complete(coroutine("main", |co| async move {
    ///     co.yield_from(sleep(0.25)).await
    /// }))
    /// .unwrap();
    /// let json = lp.take_record().to_chrome_trace();
    /// assert!(json.contains(r#""name":"wait: sleep","cat":"wait","ph":"X""#));
    /// assert!(json.contains(r#""dur":250000"#));
    /// ```
    #[must_use]
    pub fn to_chrome_trace(&self) -> String {
        let mut out = Vec::new();
        out.push(
            r#"{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"yieldfrom event loop"}}"#
                .to_owned(),
        );
        out.push(format!(
            r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{LOOP_TID},"args":{{"name":"event loop"}}}}"#
        ));
        let mut names: HashMap<TaskId, String> = HashMap::new();
        // Since when each task runs, or waits and on what.
        let mut running: HashMap<TaskId, f64> = HashMap::new();
        let mut waiting: HashMap<TaskId, (f64, String)> = HashMap::new();
        for event in &self.events {
            match event {
                RecordEvent::TaskCreated {
                    time, task, name, ..
                } => {
                    names.insert(*task, name.clone());
                    out.push(format!(
                        r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{},"args":{{"name":{}}}}}"#,
                        task.0,
                        string(name)
                    ));
                    out.push(format!(
                        r#"{{"name":"thread_sort_index","ph":"M","pid":1,"tid":{0},"args":{{"sort_index":{0}}}}}"#,
                        task.0
                    ));
                    waiting.insert(*task, (*time, "ready".to_owned()));
                }
                RecordEvent::StepStarted { time, task } => {
                    if let Some((since, on)) = waiting.remove(task) {
                        out.push(complete(
                            &format!("wait: {on}"),
                            "wait",
                            task.0,
                            since,
                            *time,
                        ));
                    }
                    running.insert(*task, *time);
                }
                RecordEvent::StepEnded { time, task, then } => {
                    let name = names.get(task).map_or("task", String::as_str);
                    if let Some(since) = running.remove(task) {
                        out.push(complete(name, "step", task.0, since, *time));
                    }
                    match then {
                        AfterStep::Waiting(on) => {
                            waiting.insert(*task, (*time, on.clone()));
                        }
                        AfterStep::Yielded => {
                            waiting.insert(*task, (*time, "ready".to_owned()));
                        }
                        AfterStep::Finished(outcome) => {
                            let what = match outcome {
                                Outcome::Returned => "returned".to_owned(),
                                Outcome::Raised(e) => format!("raised {e}"),
                                Outcome::Cancelled(None) => "cancelled".to_owned(),
                                Outcome::Cancelled(Some(m)) => format!("cancelled: {m}"),
                            };
                            out.push(instant(&what, "end", task.0, *time));
                        }
                    }
                }
                RecordEvent::CancelRequested {
                    time,
                    task,
                    message,
                    ..
                } => {
                    let what = match message {
                        Some(m) => format!("cancel requested: {m}"),
                        None => "cancel requested".to_owned(),
                    };
                    out.push(instant(&what, "cancel", task.0, *time));
                }
                RecordEvent::TimedOut { time, task } => {
                    let tid = task.map_or(LOOP_TID, |t| t.0);
                    out.push(instant("wait_for timed out", "timeout", tid, *time));
                }
                RecordEvent::TimerScheduled { time, when } => {
                    out.push(instant(
                        &format!("timer scheduled for {when} s"),
                        "timer",
                        LOOP_TID,
                        *time,
                    ));
                }
                RecordEvent::CallbackRan { start, end, kind } => {
                    let name = match kind {
                        CallbackKind::Soon => "call_soon callback".to_owned(),
                        CallbackKind::Timer { when } => format!("timer due at {when} s"),
                        CallbackKind::Reader { fd } => format!("reader fd={fd}"),
                        CallbackKind::Writer { fd } => format!("writer fd={fd}"),
                    };
                    out.push(complete(&name, "callback", LOOP_TID, *start, *end));
                }
                RecordEvent::SlowCallback {
                    time,
                    callback,
                    duration,
                } => {
                    out.push(instant(
                        &format!("slow: {callback} took {:.3} s", duration.as_secs_f64()),
                        "slow",
                        LOOP_TID,
                        *time,
                    ));
                }
            }
        }
        let mut json = String::from("{\"traceEvents\":[\n");
        json.push_str(&out.join(",\n"));
        json.push_str("\n],\"displayTimeUnit\":\"ms\"}\n");
        json
    }
}

fn micros(seconds: f64) -> String {
    let us = seconds * 1e6;
    // Whole microseconds print without a fraction, as the virtual clock's
    // round times are.
    if us.fract() == 0.0 && us.abs() < 1e15 {
        format!("{us:.0}")
    } else {
        format!("{us:.3}")
    }
}

fn complete(name: &str, cat: &str, tid: u64, start: f64, end: f64) -> String {
    format!(
        r#"{{"name":{},"cat":"{cat}","ph":"X","pid":1,"tid":{tid},"ts":{},"dur":{}}}"#,
        string(name),
        micros(start),
        micros((end - start).max(0.0))
    )
}

fn instant(name: &str, cat: &str, tid: u64, at: f64) -> String {
    format!(
        r#"{{"name":{},"cat":"{cat}","ph":"i","s":"t","pid":1,"tid":{tid},"ts":{}}}"#,
        string(name),
        micros(at)
    )
}

/// `text` as a JSON string literal.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
