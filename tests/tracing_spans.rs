//! With the `tracing` feature, each task step is a `tracing` span named
//! `task step`, with the task's name in its `task` field.
#![cfg(feature = "tracing")]

use std::{
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};
use tracing::{
    Event, Metadata, Subscriber,
    field::{Field, Visit},
    span::{Attributes, Id, Record},
};
use yieldfrom::asyncio::{ClockKind, EventLoop, coroutine, sleep};

/// Keeps the name and `task` field of every span entered, in order.
#[derive(Clone, Default)]
struct Spans {
    made: Arc<Mutex<Vec<(String, String)>>>,
    entered: Arc<Mutex<Vec<u64>>>,
    next: Arc<AtomicU64>,
}

struct TaskField(String);

impl Visit for TaskField {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "task" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut task = TaskField(String::new());
        span.record(&mut task);
        self.made
            .lock()
            .unwrap()
            .push((span.metadata().name().to_owned(), task.0));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {}
}

#[test]
fn each_task_step_is_a_span_with_the_task_name() {
    let spans = Spans::default();
    tracing::subscriber::with_default(spans.clone(), || {
        let lp = EventLoop::new(ClockKind::Virtual);
        let main = lp
            .create_named_task(
                coroutine("main", |co| async move {
                    let lp = EventLoop::running()?;
                    let worker = lp.create_named_task(sleep(1.0), "worker")?;
                    co.yield_from(worker.wait()).await
                }),
                "main",
            )
            .unwrap();
        lp.run_until_done(main.future()).unwrap();
    });
    let made = spans.made.lock().unwrap().clone();
    let steps = |task: &str| {
        made.iter()
            .filter(|(name, t)| name == "task step" && t == task)
            .count()
    };
    assert_eq!(made.len(), 4, "{made:?}");
    assert_eq!((steps("main"), steps("worker")), (2, 2));
    assert_eq!(spans.entered.lock().unwrap().len(), 4);
}
