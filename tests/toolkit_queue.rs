//! `Queue` behaves as CPython 3.11's `asyncio.Queue`: items come out
//! first-in, first-out; `put` on a full queue waits for room and `get` on
//! an empty one waits for an item, both served first-in, first-out; a
//! getter or putter cancelled while it waits -- before or just after being
//! woken -- takes no item, adds none, and passes its wake-up on; with many
//! producers and consumers, cancelled or not, every item put is got
//! exactly once; `join` waits until every item has been marked done.
//!
//! Each transcript is compared with what `tests/python/toolkit_queue.py`
//! prints under CPython 3.11 on a virtual clock; the many-producer runs
//! also check, without Python, that no item is lost or duplicated.

mod transcript;

use std::{cell::RefCell, rc::Rc};
use transcript::{Transcript, assert_matches_cpython, describe, flag, run_main};
use yieldfrom::{
    AnyError,
    asyncio::{
        Coroutine, EventLoop, Queue, QueueEmpty, Suspend, Task, ValueError, coroutine, gather,
        gather_results, sleep,
    },
};

const SCRIPT: &str = "toolkit_queue.py";

fn sizes<T: 'static>(q: &Queue<T>) -> String {
    format!(
        "qsize {} empty {} full {}",
        q.qsize(),
        flag(q.empty()),
        flag(q.full())
    )
}

/// How a getter or putter waits: through the `get()` / `put()`
/// coroutine, or in place with `get_in` / `put_in`. Both are Python's
/// `await q.get()` / `await q.put(item)`, so both match one transcript.
#[derive(Clone, Copy)]
enum Wait {
    Coroutine,
    InPlace,
}

fn getter(
    out: &Transcript,
    name: &'static str,
    q: &Queue<&'static str>,
) -> Coroutine<&'static str> {
    getter_waiting(out, name, q, Wait::Coroutine)
}

fn getter_waiting(
    out: &Transcript,
    name: &'static str,
    q: &Queue<&'static str>,
    wait: Wait,
) -> Coroutine<&'static str> {
    let (out, q) = (out.clone(), q.clone());
    coroutine(name, move |co| async move {
        out.say(format!("{name} waits"));
        let got = match wait {
            Wait::Coroutine => co.yield_from(q.get()).await,
            Wait::InPlace => q.get_in(&co).await,
        };
        match got {
            Ok(item) => {
                out.say(format!("{name} got {item}"));
                Ok(item)
            }
            Err(e) => {
                out.say(format!("{name} {}", describe(&e)));
                Err(e)
            }
        }
    })
}

fn putter(
    out: &Transcript,
    name: &'static str,
    q: &Queue<&'static str>,
    item: &'static str,
) -> Coroutine<()> {
    putter_waiting(out, name, q, item, Wait::Coroutine)
}

fn putter_waiting(
    out: &Transcript,
    name: &'static str,
    q: &Queue<&'static str>,
    item: &'static str,
    wait: Wait,
) -> Coroutine<()> {
    let (out, q) = (out.clone(), q.clone());
    coroutine(name, move |co| async move {
        out.say(format!("{name} puts {item}"));
        let put = match wait {
            Wait::Coroutine => co.yield_from(q.put(item)).await,
            Wait::InPlace => q.put_in(&co, item).await,
        };
        if let Err(e) = put {
            out.say(format!("{name} {}", describe(&e)));
            return Err(e);
        }
        out.say(format!("{name} put {item}"));
        Ok(())
    })
}

fn spawn_all<T: Clone + 'static>(coros: Vec<Coroutine<T>>) -> Result<Vec<Task<T>>, AnyError> {
    let lp = EventLoop::running()?;
    coros.into_iter().map(|c| lp.create_task(c)).collect()
}

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(0);
        o.say(sizes(&q));
        for item in ["a", "b", "c", "d", "e"] {
            q.put_nowait(item).map_err(|_| AnyError::msg("full"))?;
        }
        o.say(sizes(&q));
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(co.yield_from(q.get()).await?);
        }
        o.say(format!("got {}", got.join(" ")));
        o.say(sizes(&q));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "first_in_first_out", &out);
}

#[test]
fn put_on_a_full_queue_waits_for_room() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<u32> = Queue::new(2);
        let (po, pq) = (o.clone(), q.clone());
        let p = EventLoop::running()?.create_task(coroutine("producer", move |co| async move {
            for i in 0..5 {
                co.yield_from(pq.put(i)).await?;
                po.say(format!("put {i}, {}", sizes(&pq)));
            }
            Ok(())
        }))?;
        for _ in 0..5 {
            co.yield_from(sleep(1.0)).await?;
            let item = co.yield_from(q.get()).await?;
            o.say(format!("got {item}"));
        }
        co.yield_from(p.wait()).await
    }));
    assert_matches_cpython(SCRIPT, "a_bounded_put_waits_for_room", &out);
}

#[test]
fn waiting_getters_are_served_first_in_first_out() {
    getters_served_in_order(Wait::Coroutine);
}

#[test]
fn getters_waiting_in_place_are_served_first_in_first_out() {
    getters_served_in_order(Wait::InPlace);
}

fn getters_served_in_order(wait: Wait) {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(0);
        let g = spawn_all(vec![
            getter_waiting(&o, "g1", &q, wait),
            getter_waiting(&o, "g2", &q, wait),
            getter_waiting(&o, "g3", &q, wait),
        ])?;
        co.yield_from(sleep(1.0)).await?;
        for item in ["a", "b", "c"] {
            q.put_nowait(item).map_err(|_| AnyError::msg("full"))?;
        }
        o.say("main puts a b c");
        co.yield_from(gather(g)?.wait()).await?;
        o.say(sizes(&q));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "getters_are_served_first_in_first_out", &out);
}

#[test]
fn a_getter_cancelled_before_an_item_arrives_takes_none() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(0);
        let g = spawn_all(vec![
            getter(&o, "g1", &q),
            getter(&o, "g2", &q),
            getter(&o, "g3", &q),
        ])?;
        co.yield_from(sleep(0.5)).await?;
        g[1].cancel();
        co.yield_from(sleep(0.5)).await?;
        q.put_nowait("a").map_err(|_| AnyError::msg("full"))?;
        q.put_nowait("b").map_err(|_| AnyError::msg("full"))?;
        o.say("main puts a b");
        co.yield_from(gather_results(g)?.wait()).await?;
        o.say(sizes(&q));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_getter_cancelled_before_an_item_arrives", &out);
}

#[test]
fn a_getter_cancelled_just_after_being_woken_leaves_the_item_to_the_next_getter() {
    getter_cancelled_after_being_woken(Wait::Coroutine);
}

#[test]
fn a_getter_waiting_in_place_cancelled_just_after_being_woken_leaves_the_item_to_the_next() {
    getter_cancelled_after_being_woken(Wait::InPlace);
}

fn getter_cancelled_after_being_woken(wait: Wait) {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(0);
        let g = spawn_all(vec![
            getter_waiting(&o, "g1", &q, wait),
            getter_waiting(&o, "g2", &q, wait),
        ])?;
        co.yield_from(sleep(1.0)).await?;
        q.put_nowait("a").map_err(|_| AnyError::msg("full"))?;
        g[0].cancel();
        o.say("main puts a and cancels g1");
        co.yield_from(gather_results(g)?.wait()).await?;
        o.say(sizes(&q));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_getter_cancelled_after_being_woken", &out);
}

#[test]
fn a_putter_cancelled_before_there_is_room_adds_nothing() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(1);
        q.put_nowait("first").map_err(|_| AnyError::msg("full"))?;
        let p = spawn_all(vec![
            putter(&o, "p1", &q, "x"),
            putter(&o, "p2", &q, "y"),
            putter(&o, "p3", &q, "z"),
        ])?;
        co.yield_from(sleep(0.5)).await?;
        p[1].cancel();
        let mut got = Vec::new();
        for _ in 0..3 {
            co.yield_from(sleep(0.5)).await?;
            got.push(co.yield_from(q.get()).await?);
        }
        co.yield_from(gather_results(p)?.wait()).await?;
        o.say(format!("got {}, {}", got.join(" "), sizes(&q)));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_putter_cancelled_before_there_is_room", &out);
}

#[test]
fn a_putter_cancelled_just_after_being_woken_leaves_the_room_to_the_next_putter() {
    putter_cancelled_after_being_woken(Wait::Coroutine);
}

#[test]
fn a_putter_waiting_in_place_cancelled_just_after_being_woken_leaves_the_room_to_the_next() {
    putter_cancelled_after_being_woken(Wait::InPlace);
}

fn putter_cancelled_after_being_woken(wait: Wait) {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(1);
        q.put_nowait("first").map_err(|_| AnyError::msg("full"))?;
        let p = spawn_all(vec![
            putter_waiting(&o, "p1", &q, "x", wait),
            putter_waiting(&o, "p2", &q, "y", wait),
        ])?;
        co.yield_from(sleep(1.0)).await?;
        o.say(format!("main takes {} and cancels p1", q.get_nowait()?));
        p[0].cancel();
        co.yield_from(gather_results(p)?.wait()).await?;
        o.say(format!("{}, next {}", sizes(&q), q.get_nowait()?));
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "a_putter_cancelled_after_being_woken", &out);
}

#[test]
fn join_waits_until_every_item_put_is_marked_done() {
    let out = Transcript::new();
    let o = out.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<&str> = Queue::new(0);
        co.yield_from(q.join()).await?;
        o.say("join on a fresh queue returns at once");
        for item in ["a", "b", "c"] {
            q.put_nowait(item).map_err(|_| AnyError::msg("full"))?;
        }
        let (wo, wq) = (o.clone(), q.clone());
        let w = EventLoop::running()?.create_task(coroutine::<(), _>(
            "worker",
            move |co| async move {
                loop {
                    let item = co.yield_from(wq.get()).await?;
                    co.yield_from(sleep(1.0)).await?;
                    wo.say(format!("worker done with {item}"));
                    wq.task_done()?;
                }
            },
        ))?;
        co.yield_from(q.join()).await?;
        o.say(format!("joined, {}", sizes(&q)));
        q.put_nowait("d").map_err(|_| AnyError::msg("full"))?;
        co.yield_from(q.join()).await?;
        o.say("joined again");
        w.cancel();
        Ok(())
    }));
    assert_matches_cpython(SCRIPT, "join_waits_for_every_task_done", &out);
}

#[test]
fn the_nowait_forms_and_task_done_raise_cpythons_errors() {
    // Python 3.11:
    //   q = asyncio.Queue(1); q.put_nowait(1); q.put_nowait(2) -> QueueFull
    //   asyncio.Queue().get_nowait()                            -> QueueEmpty
    //   asyncio.Queue().task_done() -> ValueError('task_done() called too many times')
    let q: Queue<u32> = Queue::new(1);
    q.put_nowait(1).unwrap();
    let full = q.put_nowait(2).unwrap_err();
    assert_eq!(full.0, 2, "the item comes back");
    assert_eq!(q.qsize(), 1);
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(q.get_nowait(), Err(QueueEmpty));
    q.task_done().unwrap();
    let err = q.task_done().unwrap_err();
    assert_eq!(
        err.downcast_ref::<ValueError>().map(|e| e.message.as_str()),
        Some("task_done() called too many times")
    );
    assert_eq!(q.maxsize(), 1);
}

/// What each producer put and each consumer got, in order.
#[derive(Default)]
struct Ledger {
    put: Vec<Vec<String>>,
    got: Vec<Vec<String>>,
}

/// How the workers of [`many`] pace themselves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pacing {
    /// By giving up turns: no timer is involved.
    Yields,
    /// By sleeping on the clock.
    Timers,
}

/// The Python `pause(timers, seconds, yields)`.
fn pause(pacing: Pacing, seconds: f64, yields: usize) -> Coroutine<()> {
    coroutine("pause", move |co| async move {
        match pacing {
            Pacing::Timers => co.yield_from(sleep(seconds)).await?,
            Pacing::Yields => {
                for _ in 0..yields {
                    co.yield_(Suspend::NOW).await?;
                }
            }
        }
        Ok(())
    })
}

/// Who [`many`] cancels.
#[derive(Clone, Copy)]
enum Worker {
    Producer(usize),
    Consumer(usize),
}

/// When [`many`] cancels a worker: at a time on the clock (with
/// [`Pacing::Timers`]), or after a number of main's turns (with
/// [`Pacing::Yields`]).
#[derive(Clone, Copy)]
enum At {
    Time(f64),
    Turn(u32),
}

/// The Python `many(timers, cancel_at)`: eight producers, 125 items each,
/// a queue of ten, eight consumers at their own paces; `cancel_at` lists
/// who is cancelled when.
#[allow(clippy::cast_precision_loss, reason = "small counts and indices only")]
fn many(pacing: Pacing, cancel_at: &[(At, Worker)]) -> (Transcript, Ledger) {
    let out = Transcript::new();
    let ledger = Rc::new(RefCell::new(Ledger {
        put: vec![Vec::new(); 8],
        got: vec![Vec::new(); 8],
    }));
    let (o, l) = (out.clone(), ledger.clone());
    let cancel_at = cancel_at.to_vec();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let q: Queue<String> = Queue::new(10);
        let mut producers = Vec::new();
        for p in 0..8usize {
            let (q, l) = (q.clone(), l.clone());
            producers.push(lp.create_task(coroutine("producer", move |co| async move {
                for k in 0..125usize {
                    let item = format!("{p}.{k}");
                    co.yield_from(q.put(item.clone())).await?;
                    l.borrow_mut().put[p].push(item);
                    if k % 5 == p % 5 {
                        co.yield_from(pause(pacing, 0.125, 1)).await?;
                    }
                }
                Ok(())
            }))?);
        }
        let mut consumers = Vec::new();
        for c in 0..8usize {
            let (q, l) = (q.clone(), l.clone());
            consumers.push(lp.create_task(coroutine::<(), _>(
                "consumer",
                move |co| async move {
                    let mut n = 0usize;
                    loop {
                        let item = co.yield_from(q.get()).await?;
                        l.borrow_mut().got[c].push(item);
                        n += 1;
                        let turns = (c + n) % 4;
                        co.yield_from(pause(pacing, turns as f64 * 0.125, turns))
                            .await?;
                        q.task_done()?;
                    }
                },
            ))?);
        }
        let task_of = |w: Worker| match w {
            Worker::Producer(i) => producers[i].clone(),
            Worker::Consumer(i) => consumers[i].clone(),
        };
        let mut turns = 0u32;
        if pacing == Pacing::Timers {
            for &(at, worker) in &cancel_at {
                if let At::Time(when) = at {
                    let task = task_of(worker);
                    lp.call_later(when, move || {
                        task.cancel();
                    })?;
                }
            }
            co.yield_from(gather_results(producers.clone())?.wait())
                .await?;
        } else {
            while !producers.iter().all(Task::done) {
                co.yield_(Suspend::NOW).await?;
                turns += 1;
                for &(at, worker) in &cancel_at {
                    if matches!(at, At::Turn(turn) if turn == turns) {
                        task_of(worker).cancel();
                    }
                }
            }
        }
        if cancel_at.is_empty() {
            co.yield_from(q.join()).await?;
        } else {
            while !q.empty() {
                co.yield_from(pause(pacing, 0.125, 1)).await?;
            }
            co.yield_from(pause(pacing, 1.0, 8)).await?;
        }
        for c in &consumers {
            c.cancel();
        }
        co.yield_from(gather_results(consumers)?.wait()).await?;
        o.say(format!("main took {turns} turns"));
        let l = l.borrow();
        for (c, got) in l.got.iter().enumerate() {
            o.say(format!("c{c} got {}: {}", got.len(), got.join(" ")));
        }
        for (p, put) in l.put.iter().enumerate() {
            o.say(format!("p{p} put {}", put.len()));
        }
        o.say(sizes(&q));
        Ok(())
    }));
    let ledger = Rc::try_unwrap(ledger)
        .ok()
        .expect("the loop is gone")
        .into_inner();
    (out, ledger)
}

/// Every item put was got exactly once.
fn assert_nothing_lost_or_duplicated(ledger: &Ledger) {
    let mut put: Vec<&String> = ledger.put.iter().flatten().collect();
    let mut got: Vec<&String> = ledger.got.iter().flatten().collect();
    put.sort();
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!(got.len(), before, "an item was got twice");
    assert_eq!(put, got, "the items got are not the items put");
}

const CANCEL_BY_TURNS: [(At, Worker); 5] = [
    (At::Turn(30), Worker::Consumer(1)),
    (At::Turn(60), Worker::Producer(3)),
    (At::Turn(90), Worker::Consumer(5)),
    (At::Turn(120), Worker::Producer(6)),
    (At::Turn(150), Worker::Consumer(0)),
];

const CANCEL_BY_TIME: [(At, Worker); 5] = [
    (At::Time(1.0), Worker::Consumer(1)),
    (At::Time(2.5), Worker::Producer(3)),
    (At::Time(3.0), Worker::Consumer(5)),
    (At::Time(4.125), Worker::Producer(6)),
    (At::Time(5.0), Worker::Consumer(0)),
];

#[test]
fn eight_producers_and_eight_consumers_pass_a_thousand_items_in_cpythons_order() {
    let (out, ledger) = many(Pacing::Yields, &[]);
    assert_eq!(ledger.put.iter().flatten().count(), 1000);
    assert_nothing_lost_or_duplicated(&ledger);
    assert_matches_cpython(SCRIPT, "many_producers_and_consumers", &out);
}

#[test]
fn cancelling_producers_and_consumers_midway_loses_and_duplicates_no_item() {
    let (out, ledger) = many(Pacing::Yields, &CANCEL_BY_TURNS);
    let put = ledger.put.iter().flatten().count();
    assert!(
        put < 1000,
        "two producers were cancelled, yet {put} items were put"
    );
    assert_nothing_lost_or_duplicated(&ledger);
    assert_matches_cpython(
        SCRIPT,
        "many_producers_and_consumers_with_cancellations",
        &out,
    );
}

#[test]
fn workers_pacing_themselves_on_the_clock_lose_and_duplicate_no_item() {
    let (_, ledger) = many(Pacing::Timers, &[]);
    assert_eq!(ledger.put.iter().flatten().count(), 1000);
    assert_nothing_lost_or_duplicated(&ledger);
    let (_, ledger) = many(Pacing::Timers, &CANCEL_BY_TIME);
    assert!(ledger.put.iter().flatten().count() < 1000);
    assert_nothing_lost_or_duplicated(&ledger);
}

#[test]
fn consumers_cancelled_at_every_turn_even_just_after_being_woken_lose_no_item() {
    let out = Transcript::new();
    let o = out.clone();
    let got_all = Rc::new(RefCell::new(Vec::<String>::new()));
    let got = got_all.clone();
    run_main(coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let q: Queue<String> = Queue::new(4);
        // (while waiting, while busy)
        let cancelled_while = Rc::new(RefCell::new((0u32, 0u32)));
        let consumer = |c: u32| {
            let (q, got, cancelled_while) = (q.clone(), got.clone(), cancelled_while.clone());
            coroutine::<(), _>("consumer", move |co| async move {
                loop {
                    let item = match co.yield_from(q.get()).await {
                        Ok(item) => item,
                        Err(e) => {
                            cancelled_while.borrow_mut().0 += 1;
                            return Err(e);
                        }
                    };
                    got.borrow_mut().push(item);
                    for _ in 0..c % 3 {
                        if let Err(e) = co.yield_(Suspend::NOW).await {
                            cancelled_while.borrow_mut().1 += 1;
                            return Err(e);
                        }
                    }
                }
            })
        };
        let mut producers = Vec::new();
        for p in 0..4usize {
            let q = q.clone();
            producers.push(lp.create_task(coroutine("producer", move |co| async move {
                for k in 0..250usize {
                    co.yield_from(q.put(format!("{p}.{k}"))).await?;
                    if k % 3 == p % 3 {
                        co.yield_(Suspend::NOW).await?;
                    }
                }
                Ok(())
            }))?);
        }
        let mut consumers = (0..4)
            .map(|c| lp.create_task(consumer(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut turns = 0u32;
        while !(producers.iter().all(Task::done) && q.empty()) {
            co.yield_(Suspend::NOW).await?;
            turns += 1;
            let slot = (turns % 4) as usize;
            consumers[slot].cancel();
            consumers[slot] = lp.create_task(consumer(turns))?;
        }
        for c in &consumers {
            c.cancel();
        }
        co.yield_from(gather_results(consumers)?.wait()).await?;
        let got = got.borrow();
        let mut distinct = got.clone();
        distinct.sort();
        distinct.dedup();
        o.say(format!(
            "main took {turns} turns, got {} items, {} distinct",
            got.len(),
            distinct.len()
        ));
        let (waiting, busy) = *cancelled_while.borrow();
        o.say(format!("cancelled while waiting {waiting}, busy {busy}"));
        o.say(format!("got {}", got.join(" ")));
        o.say(sizes(&q));
        Ok(())
    }));
    let mut got = got_all.take();
    assert_eq!(got.len(), 1000, "every item put is got once");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 1000, "no item is got twice");
    assert_matches_cpython(SCRIPT, "consumers_cancelled_and_replaced_every_turn", &out);
}

#[test]
fn a_cancelled_put_drops_its_item_as_cpython_does() {
    // Python 3.11: the item of a put() cancelled while waiting is never
    // added (q = Queue(1); q.put_nowait(0); t = create_task(q.put(1));
    // ...; t.cancel(); q.get_nowait() == 0; q.empty()).
    struct Marker(Rc<RefCell<bool>>);
    impl Drop for Marker {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let dropped = Rc::new(RefCell::new(false));
    let d = dropped.clone();
    run_main(coroutine("main", move |co| async move {
        let q: Queue<Marker> = Queue::new(1);
        q.put_nowait(Marker(Rc::new(RefCell::new(false))))
            .map_err(|_| AnyError::msg("full"))?;
        let t = EventLoop::running()?.create_task(q.put(Marker(d)))?;
        co.yield_from(sleep(1.0)).await?;
        t.cancel();
        co.yield_from(sleep(1.0)).await?;
        assert!(t.cancelled());
        drop(q.get_nowait()?);
        assert!(q.empty());
        Ok(())
    }));
    assert!(*dropped.borrow());
}
