//! What a generator costs in memory, beyond the state of its own body.
//!
//! Measured with a counting allocator (`stats_alloc`): the heap bytes still
//! held after creating and starting generators, less the size of each
//! body's future, measured where the body is built. The targets: at most
//! 100 bytes per suspended generator, and at most 150 bytes per level of a
//! `yield from` chain (CPython 3.11, by `tracemalloc`: about 200 and 192;
//! `benches/python/memory.py`). The bytes per
//! task parked on a future, and per task asleep, are printed as
//! measurements, and bounded: the bytes with some margin over what they
//! were once a task and its future became one allocation
//! (docs/performance.md, "A task in one allocation": 504 bytes parked, 720
//! asleep), the allocations of a task asleep at the 5 left once a body
//! went into its frame ("The body in its frame"), each of which a million
//! tasks pay for dearly.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::{
    alloc::System,
    cell::Cell,
    mem,
    rc::Rc,
    sync::{Mutex, PoisonError},
};
use yieldfrom::{
    AnyError, Co, Generator,
    asyncio::{ClockKind, EventLoop, Future, Queue, coroutine, sleep},
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counters are process-wide, so measurements take turns.
static MEASURING: Mutex<()> = Mutex::new(());

const COUNT: usize = 1000;

type Gen = Generator<u64, u64, u64, AnyError>;

/// A generator that totals what it is sent; records its body's size.
fn leaf(body_size: &Rc<Cell<usize>>) -> Gen {
    let size = body_size.clone();
    Generator::new("leaf", move |co: Co<u64, u64>| {
        let body = async move {
            let mut total: u64 = 0;
            loop {
                if let Some(v) = co.yield_(total).await? {
                    total = total.wrapping_add(v);
                }
            }
        };
        size.set(mem::size_of_val(&body));
        body
    })
}

/// Heap bytes held at the end of `build` that were not held at its start.
///
/// Another test's thread may free memory meanwhile, as it ends after its
/// test has let go of `MEASURING` (its thread-locals, such as the frame
/// the crate keeps for the thread's next wait). That can be more than a
/// small `build` holds (it failed one run in about ten), hence 0 at the
/// least; against what a measurement divides by `COUNT`, it is noise.
fn held_by<T>(build: impl FnOnce() -> T) -> (T, usize) {
    let region = Region::new(GLOBAL);
    let value = build();
    let change = region.change();
    (
        value,
        change
            .bytes_allocated
            .saturating_sub(change.bytes_deallocated),
    )
}

#[test]
fn a_suspended_generator_costs_at_most_100_bytes_beyond_its_body() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let body_size = Rc::new(Cell::new(0));
    let mut generators = Vec::with_capacity(COUNT);
    let ((), held) = held_by(|| {
        for _ in 0..COUNT {
            let g = leaf(&body_size);
            g.next().unwrap();
            generators.push(g);
        }
    });
    // The handles live in a vector made beforehand, so `held` is only what
    // the generators themselves put on the heap.
    let per_generator = held / COUNT;
    let beyond_body = per_generator - body_size.get();
    println!(
        "heap per suspended generator: {per_generator} bytes, body future {} bytes, \
         beyond the body {beyond_body} bytes; handle {} bytes",
        body_size.get(),
        mem::size_of::<Gen>()
    );
    assert!(beyond_body <= 100, "{beyond_body} bytes beyond the body");
    assert_eq!(
        generators.iter().filter(|g| g.is_suspended()).count(),
        COUNT
    );
}

#[test]
fn a_level_of_delegation_costs_at_most_150_bytes_beyond_its_body() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let leaf_size = Rc::new(Cell::new(0));
    let level_size = Rc::new(Cell::new(0));
    let chain_of = |depth: usize| {
        let mut g = leaf(&leaf_size);
        for _ in 0..depth {
            let sub = g;
            let size = level_size.clone();
            g = Generator::new("level", move |co: Co<u64, u64>| {
                let body = async move { co.yield_from(sub).await };
                size.set(mem::size_of_val(&body));
                body
            });
        }
        g.next().unwrap();
        g
    };
    let (shallow, held_shallow) = held_by(|| chain_of(1));
    let (deep, held_deep) = held_by(|| chain_of(1 + COUNT));
    let per_level = (held_deep - held_shallow) / COUNT;
    let beyond_body = per_level - level_size.get();
    println!(
        "heap per delegation level: {per_level} bytes, level body future {} bytes, \
         beyond the body {beyond_body} bytes",
        level_size.get()
    );
    assert!(beyond_body <= 150, "{beyond_body} bytes beyond the body");
    assert_eq!(deep.delegation_chain().len(), COUNT + 2);
    drop((shallow, deep));
}

#[test]
fn a_yield_from_keeps_its_delegate_s_frames_not_the_generator_around_them() {
    let fut_size = Rc::new(Cell::new(0));
    let size = fut_size.clone();
    let leaf_size = Rc::new(Cell::new(0));
    let sub = leaf(&leaf_size);
    let g: Gen = Generator::new("level", move |co: Co<u64, u64>| async move {
        let fut = co.yield_from(sub);
        size.set(mem::size_of_val(&fut));
        fut.await
    });
    g.next().unwrap();
    let generator = mem::size_of::<Gen>();
    println!(
        "a yield_from future: {} bytes; a generator handle: {generator} bytes",
        fut_size.get()
    );
    // A future that held the generator itself, with anything else beside
    // it, could not be smaller than it.
    assert!(
        fut_size.get() < generator,
        "{} bytes, with a generator of {generator}",
        fut_size.get()
    );
}

/// Runs `lp` for one iteration: what is ready now, and no more.
fn run_one_iteration(lp: &EventLoop) {
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).unwrap();
    lp.run_forever().unwrap();
}

#[test]
fn a_task_parked_on_a_future_is_measured() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let lp = EventLoop::new(ClockKind::Virtual);
    // Tasks that finish at once, so that the loop's queues and task list
    // already have room for the measured ones.
    for _ in 0..2 * COUNT {
        lp.create_task(coroutine("warm-up", |_co| async { Ok(()) }))
            .unwrap();
    }
    run_one_iteration(&lp);
    assert!(lp.all_tasks().is_empty());
    // The futures exist beforehand: each task's cost is the task, its
    // coroutine (which waits on the future in place, as `await fut` does)
    // and its registration on the future.
    let futures: Vec<Future<u64>> = (0..COUNT).map(|_| lp.create_future()).collect();
    let body_size = Rc::new(Cell::new(0));
    let mut tasks = Vec::with_capacity(COUNT);
    let ((), held) = held_by(|| {
        for future in &futures {
            let (future, size) = (future.clone(), body_size.clone());
            let task = lp.create_task(coroutine("waiter", move |co| {
                let body = async move { future.wait_in(&co).await };
                size.set(mem::size_of_val(&body));
                body
            }));
            tasks.push(task.unwrap());
        }
        run_one_iteration(&lp);
    });
    let per_task = held / COUNT;
    println!(
        "heap per task parked on a future: {per_task} bytes, its coroutine's body future {} bytes",
        body_size.get()
    );
    assert!(per_task <= 560, "{per_task} bytes per task parked");
    assert!(tasks.iter().all(|t| !t.done()));
    for (i, future) in (0u64..).zip(&futures) {
        future.set_result(i).unwrap();
    }
    run_one_iteration(&lp);
    assert!(tasks.iter().all(yieldfrom::asyncio::Task::done));
}

#[test]
fn a_task_asleep_is_measured() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let lp = EventLoop::new(ClockKind::Virtual);
    // Tasks that sleep once and finish, so that the loop's queues, timer
    // heap and task list already have room for the measured ones.
    for _ in 0..2 * COUNT {
        lp.create_task(coroutine("warm-up", |co| async move {
            co.yield_from(sleep(0.5)).await
        }))
        .unwrap();
    }
    lp.run_until_complete(coroutine("wait", |co| async move {
        co.yield_from(sleep(1.0)).await
    }))
    .unwrap();
    assert!(lp.all_tasks().is_empty());
    let mut tasks = Vec::with_capacity(COUNT);
    let region = Region::new(GLOBAL);
    for _ in 0..COUNT {
        let task = lp.create_task(coroutine("sleeper", |co| async move {
            co.yield_from(sleep(1.0)).await
        }));
        tasks.push(task.unwrap());
    }
    run_one_iteration(&lp);
    let change = region.change();
    let held = change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated);
    let allocations = change.allocations.saturating_sub(change.deallocations);
    let (per_task, allocations_per_task) = (held / COUNT, allocations / COUNT);
    println!(
        "heap per task asleep: {per_task} bytes in {allocations_per_task} allocations ({} made)",
        change.allocations / COUNT,
    );
    assert!(per_task <= 780, "{per_task} bytes per task asleep");
    assert!(
        allocations_per_task <= 5,
        "{allocations_per_task} allocations per task asleep"
    );
    assert!(tasks.iter().all(|t| !t.done()));
    lp.run_until_complete(coroutine("wait", |co| async move {
        co.yield_from(sleep(2.0)).await
    }))
    .unwrap();
    assert!(tasks.iter().all(yieldfrom::asyncio::Task::done));
}

/// Allocations made by a loop running two tasks that hand `rounds` items
/// to each other through two queues, each waiting with `get()`.
fn queue_round_trip_allocations(rounds: u64) -> usize {
    let lp = EventLoop::new(ClockKind::Virtual);
    let (requests, replies) = (Queue::<u64>::new(0), Queue::<u64>::new(0));
    let (incoming, outgoing) = (requests.clone(), replies.clone());
    let region = Region::new(GLOBAL);
    let asker = lp
        .create_task(coroutine("asker", move |co| async move {
            for i in 0..rounds {
                requests.put_nowait(i)?;
                co.yield_from(replies.get()).await?;
            }
            Ok(())
        }))
        .unwrap();
    lp.create_task(coroutine("answerer", move |co| async move {
        for _ in 0..rounds {
            let v = co.yield_from(incoming.get()).await?;
            outgoing.put_nowait(v + 1)?;
        }
        Ok(())
    }))
    .unwrap();
    lp.run_until_done(asker.future()).unwrap();
    region.change().allocations
}

#[test]
fn a_queue_round_trip_through_get_reuses_its_allocations() {
    let _turn = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    // The waiter future and the `get()` frame of the last finished wait
    // are reused, so more rounds make no more allocations. The counters
    // also see the test harness's other threads: the bound is one
    // allocation per hundred extra round trips. (A first run leaves a
    // finished frame on this thread for the next run to reuse, so that
    // both measured runs start alike.)
    queue_round_trip_allocations(1);
    let few = queue_round_trip_allocations(100);
    let many = queue_round_trip_allocations(10_100);
    println!("allocations: {few} for 100 round trips, {many} for 10,100");
    assert!(
        many < few + 100,
        "{many} allocations, {few} for 100 fewer rounds"
    );
}
