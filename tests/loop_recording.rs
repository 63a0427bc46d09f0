//! Recording the loop: what `EventLoop::start_recording` records, and the
//! two renderings of a record (SVG timeline, Chrome trace-event JSON).
#![allow(
    clippy::float_cmp,
    reason = "virtual-clock times are exact, and are compared exactly"
)]

use std::time::Duration;
use yieldfrom::{
    AnyError,
    asyncio::{
        AfterStep, CallbackKind, ClockKind, Coroutine, Event, EventLoop, Lock, Outcome, Queue,
        Record, RecordEvent, TaskId, TimeoutError, coroutine, sleep, wait_for,
    },
};

/// Runs `main` as a task named `main` on a recording virtual-clock loop,
/// and gives back the record.
fn recorded<T: Clone + 'static>(main: Coroutine<T>) -> Record {
    let lp = EventLoop::new(ClockKind::Virtual);
    lp.start_recording();
    let main = lp.create_named_task(main, "main").unwrap();
    let _ = lp.run_until_done(main.future());
    let record = lp.take_record();
    lp.close().unwrap();
    record
}

/// The id a record gives the task named `name`.
fn task(record: &Record, name: &str) -> TaskId {
    record
        .events
        .iter()
        .find_map(|e| match e {
            RecordEvent::TaskCreated { task, name: n, .. } if n == name => Some(*task),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no task {name} in {record:#?}"))
}

/// What the task named `name` did after each of its steps, with when.
fn after_steps(record: &Record, name: &str) -> Vec<(f64, AfterStep)> {
    let id = task(record, name);
    record
        .events
        .iter()
        .filter_map(|e| match e {
            RecordEvent::StepEnded { time, task, then } if *task == id => {
                Some((*time, then.clone()))
            }
            _ => None,
        })
        .collect()
}

fn waiting(on: &str) -> AfterStep {
    AfterStep::Waiting(on.to_owned())
}

fn spawn<T: Clone + 'static>(name: &str, body: Coroutine<T>) -> Result<(), AnyError> {
    EventLoop::running()?.create_named_task(body, name)?;
    Ok(())
}

#[test]
fn a_loop_records_nothing_unless_asked() {
    let lp = EventLoop::new(ClockKind::Virtual);
    lp.run_until_complete(sleep(1.0)).unwrap();
    assert!(!lp.is_recording());
    assert!(lp.take_record().events.is_empty());
}

#[test]
fn take_record_stops_the_recording() {
    let lp = EventLoop::new(ClockKind::Virtual);
    lp.start_recording();
    lp.run_until_complete(sleep(1.0)).unwrap();
    assert!(!lp.take_record().events.is_empty());
    assert!(!lp.is_recording());
    lp.run_until_complete(sleep(1.0)).unwrap();
    assert!(lp.take_record().events.is_empty());
}

#[test]
fn each_step_says_what_the_task_waits_on_next_sleep_lock_queue_event_or_task() {
    let record = recorded(coroutine("main", |co| async move {
        let lock = Lock::new();
        let queue: Queue<u32> = Queue::new(1);
        let event = Event::new();
        let (l, q, e) = (lock.clone(), queue.clone(), event.clone());
        spawn(
            "waiter",
            coroutine("waiter", move |co| async move {
                co.yield_from(l.acquire()).await?;
                co.yield_from(q.get()).await?;
                co.yield_from(e.wait()).await?;
                co.yield_from(q.put(1)).await?;
                co.yield_from(q.put(2)).await
            }),
        )?;
        co.yield_from(lock.acquire()).await?;
        co.yield_from(sleep(1.0)).await?;
        lock.release()?;
        co.yield_from(sleep(1.0)).await?;
        co.yield_from(queue.put(7)).await?;
        co.yield_from(sleep(1.0)).await?;
        event.set();
        co.yield_from(sleep(1.0)).await?;
        let _ = queue.get_nowait();
        co.yield_from(sleep(1.0)).await
    }));
    let waits: Vec<AfterStep> = after_steps(&record, "waiter")
        .into_iter()
        .map(|(_, then)| then)
        .collect();
    assert_eq!(
        waits,
        [
            waiting("Lock.acquire"),
            waiting("Queue.get"),
            waiting("Event.wait"),
            waiting("Queue.put"),
            AfterStep::Finished(Outcome::Returned),
        ]
    );
}

#[test]
fn a_task_waiting_for_a_task_waits_on_it_by_name() {
    let record = recorded(coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let worker = lp.create_named_task(sleep(2.0), "worker")?;
        co.yield_from(worker.wait()).await
    }));
    let main = after_steps(&record, &name_of_first_task(&record));
    assert_eq!(
        main,
        [
            (0.0, waiting("worker")),
            (2.0, AfterStep::Finished(Outcome::Returned))
        ]
    );
}

fn name_of_first_task(record: &Record) -> String {
    match &record.events[0] {
        RecordEvent::TaskCreated { name, .. } => name.clone(),
        other => panic!("the record starts with {other:?}"),
    }
}

#[test]
fn a_task_is_created_with_its_name_its_coroutine_and_who_made_it() {
    let record = recorded(coroutine("main", |_co| async move {
        spawn("child", sleep(0.5))
    }));
    let main = task(&record, &name_of_first_task(&record));
    let created: Vec<_> = record
        .events
        .iter()
        .filter(|e| matches!(e, RecordEvent::TaskCreated { .. }))
        .collect();
    assert_eq!(
        created[1],
        &RecordEvent::TaskCreated {
            time: 0.0,
            task: task(&record, "child"),
            name: "child".to_owned(),
            coroutine: Some("sleep".to_owned()),
            by: Some(main),
        }
    );
}

#[test]
fn a_cancellation_is_recorded_with_its_message_who_asked_and_how_the_task_ended() {
    let record = recorded(coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let victim = lp.create_named_task(sleep(10.0), "victim")?;
        co.yield_from(sleep(1.0)).await?;
        victim.cancel_with("enough");
        let _ = co.yield_from(victim.wait()).await;
        Ok(())
    }));
    let main = task(&record, &name_of_first_task(&record));
    let victim = task(&record, "victim");
    assert!(record.events.contains(&RecordEvent::CancelRequested {
        time: 1.0,
        task: victim,
        message: Some("enough".to_owned()),
        by: Some(main),
    }));
    assert_eq!(
        after_steps(&record, "victim").last(),
        Some(&(
            1.0,
            AfterStep::Finished(Outcome::Cancelled(Some("enough".to_owned())))
        ))
    );
}

#[test]
fn an_error_ends_the_task_with_the_error_recorded() {
    let record = recorded(coroutine("main", |co| async move {
        co.yield_from(sleep(1.0)).await?;
        Err::<(), _>(AnyError::msg("boom"))
    }));
    let ends = after_steps(&record, &name_of_first_task(&record));
    match ends.last() {
        Some((1.0, AfterStep::Finished(Outcome::Raised(e)))) => assert!(e.contains("boom"), "{e}"),
        other => panic!("ended with {other:?}"),
    }
}

#[test]
fn a_wait_for_that_runs_out_of_time_is_recorded_where_it_does() {
    let record = recorded(coroutine("main", |co| async move {
        match co.yield_from(wait_for(sleep(5.0), Some(1.5))).await {
            Err(e) if e.is::<TimeoutError>() => Ok(()),
            other => other,
        }
    }));
    let main = task(&record, &name_of_first_task(&record));
    assert!(record.events.contains(&RecordEvent::TimedOut {
        time: 1.5,
        task: Some(main),
    }));
}

#[test]
fn timers_are_recorded_when_scheduled_and_when_they_fire() {
    let lp = EventLoop::new(ClockKind::Virtual);
    lp.start_recording();
    lp.call_later(2.0, || {}).unwrap();
    lp.run_until_complete(sleep(3.0)).unwrap();
    let record = lp.take_record();
    assert_eq!(
        record.events[0],
        RecordEvent::TimerScheduled {
            time: 0.0,
            when: 2.0
        }
    );
    assert!(record.events.contains(&RecordEvent::CallbackRan {
        start: 2.0,
        end: 2.0,
        kind: CallbackKind::Timer { when: 2.0 },
    }));
    assert!(
        record.events.contains(&RecordEvent::CallbackRan {
            start: 0.0,
            end: 0.0,
            kind: CallbackKind::Soon,
        }) || record.events.iter().any(|e| matches!(
            e,
            RecordEvent::CallbackRan {
                kind: CallbackKind::Soon,
                ..
            }
        ))
    );
}

#[test]
fn a_slow_callback_in_debug_mode_is_recorded() {
    let lp = EventLoop::new(ClockKind::Real);
    lp.set_debug(true);
    lp.set_slow_callback_duration(Duration::from_millis(1));
    lp.set_reporter(|_| {});
    lp.start_recording();
    lp.call_soon(|| std::thread::sleep(Duration::from_millis(5)))
        .unwrap();
    lp.run_until_complete(sleep(0.0)).unwrap();
    let record = lp.take_record();
    assert!(record.events.iter().any(|e| matches!(
        e,
        RecordEvent::SlowCallback { callback, duration, .. }
            if callback == "<Handle>" && *duration >= Duration::from_millis(5)
    )));
}

#[cfg(unix)]
#[test]
fn a_reader_run_is_recorded_with_its_descriptor() {
    use std::{io::Write, os::fd::AsRawFd, os::unix::net::UnixStream};
    let lp = EventLoop::new(ClockKind::Real);
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    let fd = ours.as_raw_fd();
    let stopper = lp.clone();
    lp.add_reader(&ours, move || stopper.stop()).unwrap();
    lp.start_recording();
    theirs.write_all(b"x").unwrap();
    lp.run_forever().unwrap();
    assert!(lp.take_record().events.iter().any(|e| matches!(
        e,
        RecordEvent::CallbackRan { kind: CallbackKind::Reader { fd: f }, start, end }
            if *f == fd && start <= end
    )));
}

#[test]
fn times_are_on_the_real_clock_when_the_loop_runs_on_it() {
    let lp = EventLoop::new(ClockKind::Real);
    lp.start_recording();
    lp.run_until_complete(sleep(0.02)).unwrap();
    let record = lp.take_record();
    assert_eq!(record.clock, ClockKind::Real);
    let ends = after_steps(&record, &name_of_first_task(&record));
    assert!(ends.last().unwrap().0 >= 0.02);
}

/// Two workers and a cancellation, every task named, so that the record
/// does not depend on how many tasks the process made before.
fn two_workers() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let fast = lp.create_named_task(sleep(1.0), "fast")?;
        let slow = lp.create_named_task(sleep(9.0), "slow")?;
        co.yield_from(fast.wait()).await?;
        slow.cancel();
        let _ = co.yield_from(slow.wait()).await;
        Ok(())
    })
}

#[test]
fn the_svg_has_a_lane_per_task_named_as_the_task_with_its_waits_labelled() {
    let svg = recorded(two_workers()).to_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">fast (sleep)</text>"));
    assert!(svg.contains(">slow (sleep)</text>"));
    assert!(svg.contains("<title>cancelled at 1 s</title>"));
    assert!(svg.contains("<title>cancel requested at 1 s</title>"));
    assert!(svg.contains("class=\"label\">sleep</text>"));
    assert!(svg.contains(">time (s)</text>"));
}

#[test]
fn the_same_virtual_run_gives_the_same_svg() {
    assert_eq!(
        recorded(two_workers()).to_svg(),
        recorded(two_workers()).to_svg()
    );
}

#[test]
fn a_label_that_does_not_fit_its_wait_is_left_out_but_kept_in_the_tooltip() {
    let svg = recorded(coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let waited = lp.create_named_task(sleep(0.001), "a-task-with-a-very-long-name")?;
        co.yield_from(waited.wait()).await?;
        co.yield_from(sleep(10.0)).await
    }))
    .to_svg();
    assert!(svg.contains("<title>waits on a-task-with-a-very-long-name"));
    assert!(!svg.contains("class=\"label\">a-task-with-a-very-long-name"));
    assert!(!svg.contains("class=\"label\">a-t"));
}

#[test]
fn two_hundred_tasks_stack_two_hundred_lanes_in_a_taller_picture() {
    let svg_of = |n: usize| {
        recorded(coroutine("main", move |co| async move {
            let lp = EventLoop::running()?;
            let mut tasks = Vec::new();
            for i in 0..n {
                tasks.push(lp.create_named_task(sleep(1.0), format!("t{i:03}"))?);
            }
            for t in tasks {
                co.yield_from(t.wait()).await?;
            }
            Ok(())
        }))
        .to_svg()
    };
    let height = |svg: &str| -> f64 {
        let at = svg.find("height=\"").unwrap() + 8;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (two, many) = (svg_of(2), svg_of(200));
    for i in 0..200 {
        assert!(
            many.contains(&format!(">t{i:03} (sleep)</text>")),
            "lane t{i:03}"
        );
    }
    assert!(height(&many) > height(&two) + 198.0 * 20.0);
}

#[test]
fn the_chrome_trace_has_a_named_thread_per_task_and_complete_events_in_microseconds() {
    let json = recorded(two_workers()).to_chrome_trace();
    let trace: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let thread_name = |tid: u64| {
        events.iter().find_map(|e| {
            (e["ph"] == "M" && e["name"] == "thread_name" && e["tid"] == tid)
                .then(|| e["args"]["name"].as_str().unwrap().to_owned())
        })
    };
    let slow_tid = (1..10)
        .find(|tid| thread_name(*tid).as_deref() == Some("slow"))
        .expect("a thread named slow");
    assert_eq!(thread_name(0).as_deref(), Some("event loop"));
    let of_slow: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["tid"] == slow_tid && e["ph"] != "M")
        .collect();
    for e in &of_slow {
        assert_eq!(e["pid"], 1);
        assert!(e["ts"].is_number(), "{e}");
        if e["ph"] == "X" {
            assert!(e["dur"].as_f64().unwrap() >= 0.0);
        }
    }
    let wait = of_slow
        .iter()
        .find(|e| e["ph"] == "X" && e["name"] == "wait: sleep")
        .expect("the wait on sleep");
    assert_eq!(wait["cat"], "wait");
    assert_eq!(wait["ts"], 0);
    assert_eq!(wait["dur"], 1_000_000);
    assert!(
        of_slow
            .iter()
            .any(|e| e["ph"] == "X" && e["cat"] == "step" && e["name"] == "slow")
    );
    assert!(
        of_slow
            .iter()
            .any(|e| e["ph"] == "i" && e["name"] == "cancelled" && e["ts"] == 1_000_000)
    );
}
