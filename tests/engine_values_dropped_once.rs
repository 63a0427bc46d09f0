//! Every value that passes through the engine between a body and its
//! driver (each yielded value, each sent one) is dropped exactly once,
//! however the generator ends: finished, thrown into, closed, or dropped
//! while suspended, with or without a delegate. The values here are heap
//! tokens that count their drops; `.ci/run` runs this suite under
//! valgrind's memcheck as well, which would report a token freed twice or
//! never (genawaiter's airlock is patched, `vendor/genawaiter/PATCHES.md`).

use std::{
    cell::Cell,
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};
use yieldfrom::{AnyError, Co, Error, GenState, Generator, Step};

/// A value that owns a heap block (which memcheck would see freed twice
/// or never) and counts, in a shared tally, how often it is dropped.
/// (`Send` and `Sync`, as a sent value must be to travel back inside an
/// `AnyError`.)
struct Token {
    id: Box<u64>,
    drops: Arc<AtomicU64>,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Makes tokens that all count into one tally.
struct Mint {
    made: Cell<u64>,
    drops: Arc<AtomicU64>,
}

impl Mint {
    fn new() -> Self {
        Self {
            made: Cell::new(0),
            drops: Arc::new(AtomicU64::new(0)),
        }
    }

    fn token(&self) -> Token {
        let id = self.made.get();
        self.made.set(id + 1);
        Token {
            id: Box::new(id),
            drops: self.drops.clone(),
        }
    }

    /// Every token made has been dropped, once each (a second drop would
    /// push the tally past the count).
    fn all_dropped_once(&self) -> bool {
        self.drops.load(Ordering::Relaxed) == self.made.get()
    }
}

type Echo = Generator<Token, Token, u64>;

/// Yields a token of its own, then echoes back each token sent in, summing
/// their ids, until sent nothing.
fn echo(mint: &Rc<Mint>) -> Echo {
    let mint = mint.clone();
    Generator::new("echo", move |co: Co<Token, Token>| async move {
        let mut total = 0;
        let mut reply = mint.token();
        while let Some(sent) = co.yield_(reply).await? {
            total += *sent.id;
            reply = sent;
        }
        Ok(total)
    })
}

#[test]
fn values_yielded_and_sent_until_the_body_returns_are_dropped_once() {
    let mint = Rc::new(Mint::new());
    let g = echo(&mint);
    let Ok(Step::Yielded(first)) = g.next() else {
        panic!("the body yields first")
    };
    drop(first);
    let mut expected = 0;
    for _ in 0..1000 {
        let sent = mint.token();
        expected += *sent.id;
        let Ok(Step::Yielded(back)) = g.send(sent) else {
            panic!("the body echoes")
        };
        drop(back);
    }
    assert!(matches!(g.next(), Ok(Step::Returned(total)) if total == expected));
    drop(g);
    assert!(mint.all_dropped_once(), "{} made", mint.made.get());
}

#[test]
fn a_value_yielded_before_a_throw_or_a_close_is_dropped_once() {
    let mint = Rc::new(Mint::new());
    let thrown = echo(&mint);
    drop(thrown.next().unwrap());
    drop(thrown.send(mint.token()).unwrap());
    assert!(matches!(
        thrown.throw(AnyError::msg("stop")),
        Err(Error::Raised(_))
    ));
    assert_eq!(thrown.state(), GenState::Closed);
    let closed = echo(&mint);
    drop(closed.next().unwrap());
    drop(closed.send(mint.token()).unwrap());
    closed.close().unwrap();
    drop((thrown, closed));
    assert!(mint.all_dropped_once(), "{} made", mint.made.get());
}

#[test]
fn a_generator_dropped_while_suspended_drops_each_value_once() {
    let mint = Rc::new(Mint::new());
    for sends in 0..10 {
        let g = echo(&mint);
        drop(g.next().unwrap());
        for _ in 0..sends {
            drop(g.send(mint.token()).unwrap());
        }
        drop(g);
    }
    assert!(mint.all_dropped_once(), "{} made", mint.made.get());
}

#[test]
fn values_passed_through_a_delegate_are_dropped_once() {
    let mint = Rc::new(Mint::new());
    let outer_mint = mint.clone();
    let outer: Echo = Generator::new("outer", move |co| async move {
        let first = co.yield_from(echo(&outer_mint)).await?;
        let second = co.yield_from(echo(&outer_mint)).await?;
        Ok(first + second)
    });
    drop(outer.next().unwrap());
    for _ in 0..100 {
        drop(outer.send(mint.token()).unwrap());
    }
    // The first delegate returns, the second starts and yields its token.
    drop(outer.next().unwrap());
    for _ in 0..100 {
        drop(outer.send(mint.token()).unwrap());
    }
    drop(outer);
    assert!(mint.all_dropped_once(), "{} made", mint.made.get());
}
