//! A crowd of tasks, to see a timeline at scale: `--tasks N` workers (200
//! by default) take jobs from a queue, take turns with a lock, sleep; a
//! few raise, a few are cancelled, a few time out.
//!
//! `cargo run --example crowd -- --virtual --timeline crowd.svg` draws it
//! (docs/timelines/crowd.svg).

use yieldfrom::{
    AnyError,
    asyncio::{Coroutine, EventLoop, Lock, Queue, coroutine, sleep, wait_for},
};

mod common;
use common::{Outputs, clock_from_args, say};

fn worker(n: u32, jobs: Queue<u32>, lock: Lock) -> Coroutine {
    coroutine("worker", move |co| async move {
        let job = co.yield_from(jobs.get()).await?;
        co.yield_from(sleep(f64::from(job % 7) * 0.25)).await?;
        {
            let _guard = co.yield_from(lock.lock()).await?;
            co.yield_from(sleep(0.01)).await?;
        }
        if n % 37 == 5 {
            return Err(AnyError::msg(format!("worker {n} failed on job {job}")));
        }
        if n % 29 == 3 {
            // A wait too long for its timeout.
            let _ = co.yield_from(wait_for(sleep(5.0), Some(0.5))).await;
        }
        co.yield_from(sleep(f64::from(n % 5) * 0.2)).await
    })
}

fn main_coroutine(tasks: u32) -> Coroutine {
    coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let jobs: Queue<u32> = Queue::new(0);
        let lock = Lock::new();
        let mut workers = Vec::new();
        for n in 0..tasks {
            let name = format!("worker-{n:03}");
            workers.push(lp.create_named_task(worker(n, jobs.clone(), lock.clone()), name)?);
        }
        for job in 0..tasks {
            jobs.put_nowait(job)
                .map_err(|_| AnyError::msg("queue full"))?;
            if job % 20 == 19 {
                co.yield_from(sleep(0.1)).await?;
            }
        }
        co.yield_from(sleep(1.0)).await?;
        for (n, worker) in workers.iter().enumerate() {
            if n % 41 == 7 {
                worker.cancel_with("not needed any more");
            }
        }
        let mut failed = 0;
        for worker in &workers {
            if co.yield_from(worker.wait()).await.is_err() {
                failed += 1;
            }
        }
        say(format!("{tasks} workers, {failed} failed or cancelled"))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    let args: Vec<String> = std::env::args().collect();
    let tasks = args
        .iter()
        .position(|a| a == "--tasks")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(200), |n| n.parse())?;
    Outputs::from_args().run(clock, None, main_coroutine(tasks))?;
    Ok(())
}
