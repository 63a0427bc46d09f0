//! Queue ping-pong between two tasks, beside the same exchange over
//! `futures::channel::mpsc` on tokio's current-thread runtime and on
//! `futures::executor::LocalPool`, in the same run.
//!
//! Run with `cargo bench --bench queue`; CPython's side is
//! `benches/python/queue.py`. One operation is one round trip: the asker
//! puts a number on the request queue without waiting and waits for the
//! reply queue; the answerer waits on the request queue and puts the number
//! plus one on the reply queue. Each sample builds the loop, the queues and
//! the two tasks, and runs them to the end. Ours runs twice: waiting
//! through the `get()` coroutine (`co.yield_from(q.get())`, Python's
//! `await q.get()`), and waiting in place (`q.get_in(&co)`), which makes no
//! coroutine. Issue 12's target: a round trip within 3x the exchange over
//! `futures` mpsc on tokio's current-thread runtime.

use divan::{Bencher, black_box};
use futures::{
    StreamExt,
    channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded},
    executor::LocalPool,
    task::LocalSpawnExt,
};
use yieldfrom::asyncio::{ClockKind, EventLoop, Queue, coroutine};

fn main() {
    divan::main();
}

/// Round trips per sample.
const ROUNDS: u64 = 10_000;

/// One sample of ours: two tasks over two queues, each wait through the
/// `get()` coroutine or, `in_place`, with `get_in`.
fn pingpong(in_place: bool) -> u64 {
    let lp = EventLoop::new(ClockKind::Virtual);
    let (requests, replies) = (Queue::<u64>::new(0), Queue::<u64>::new(0));
    let (incoming, outgoing) = (requests.clone(), replies.clone());
    let asker = lp
        .create_task(coroutine("asker", move |co| async move {
            let mut last = 0;
            for i in 0..ROUNDS {
                requests.put_nowait(i)?;
                last = if in_place {
                    replies.get_in(&co).await?
                } else {
                    co.yield_from(replies.get()).await?
                };
            }
            Ok(last)
        }))
        .unwrap();
    let answerer = lp
        .create_task(coroutine("answerer", move |co| async move {
            for _ in 0..ROUNDS {
                let v = if in_place {
                    incoming.get_in(&co).await?
                } else {
                    co.yield_from(incoming.get()).await?
                };
                outgoing.put_nowait(black_box(v) + 1)?;
            }
            Ok(())
        }))
        .unwrap();
    let last = lp.run_until_done(asker.future()).unwrap();
    assert!(answerer.done());
    last
}

#[divan::bench(
    name = "pingpong_1_yieldfrom_queue",
    sample_count = 20,
    sample_size = 1
)]
fn pingpong_ours(bencher: Bencher) {
    bencher.counter(ROUNDS).bench_local(|| {
        let last = pingpong(false);
        assert_eq!(last, ROUNDS);
        black_box(last);
    });
}

#[divan::bench(
    name = "pingpong_1a_yieldfrom_queue_get_in",
    sample_count = 20,
    sample_size = 1
)]
fn pingpong_ours_in_place(bencher: Bencher) {
    bencher.counter(ROUNDS).bench_local(|| {
        let last = pingpong(true);
        assert_eq!(last, ROUNDS);
        black_box(last);
    });
}

/// The asker's side over channels: the same loop as ours.
async fn asker(requests: UnboundedSender<u64>, mut replies: UnboundedReceiver<u64>) -> u64 {
    let mut last = 0;
    for i in 0..ROUNDS {
        requests.unbounded_send(i).unwrap();
        last = replies.next().await.unwrap();
    }
    last
}

/// The answerer's side over channels.
async fn answerer(mut incoming: UnboundedReceiver<u64>, outgoing: UnboundedSender<u64>) {
    for _ in 0..ROUNDS {
        let v = incoming.next().await.unwrap();
        outgoing.unbounded_send(black_box(v) + 1).unwrap();
    }
}

#[divan::bench(
    name = "pingpong_2_tokio_current_thread_mpsc",
    sample_count = 20,
    sample_size = 1
)]
fn pingpong_tokio(bencher: Bencher) {
    bencher.counter(ROUNDS).bench_local(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let (request_tx, request_rx) = unbounded();
        let (reply_tx, reply_rx) = unbounded();
        let last = local.block_on(&rt, async move {
            let a = tokio::task::spawn_local(asker(request_tx, reply_rx));
            let b = tokio::task::spawn_local(answerer(request_rx, reply_tx));
            let last = a.await.unwrap();
            b.await.unwrap();
            last
        });
        assert_eq!(last, ROUNDS);
        black_box(last);
    });
}

#[divan::bench(
    name = "pingpong_3_futures_local_pool_mpsc",
    sample_count = 20,
    sample_size = 1
)]
fn pingpong_local_pool(bencher: Bencher) {
    bencher.counter(ROUNDS).bench_local(|| {
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let (request_tx, request_rx) = unbounded();
        let (reply_tx, reply_rx) = unbounded();
        let a = spawner
            .spawn_local_with_handle(asker(request_tx, reply_rx))
            .unwrap();
        spawner.spawn_local(answerer(request_rx, reply_tx)).unwrap();
        let last = pool.run_until(a);
        assert_eq!(last, ROUNDS);
        black_box(last);
    });
}
