//! `yield from` a hand-written `Delegate` forwards as PEP 380 forwards to
//! an iterator with `send`, `throw` and `close`: `next`/`send` reach its
//! `send`, `throw` its `throw`, `close` its `close` and then raises
//! `GeneratorExit` in the delegator; its return value is the `yield
//! from`'s value, its errors are raised at the `yield from`, and
//! `gi_yieldfrom` shows it by name. Each case states CPython 3.11's
//! outcome for the Python program in the comment at the top.
//!
//! ```python
//! class Echo:
//!     def __init__(self, log): self.log = log
//!     def __iter__(self): return self
//!     def __next__(self): return self.send(None)
//!     def send(self, v):
//!         self.log.append(f"send {v}")
//!         if v == 'stop': raise StopIteration('returned')
//!         return f"echo {v}"
//!     def throw(self, typ, val=None, tb=None):
//!         e = val if val is not None else typ
//!         self.log.append(f"throw {e!r}")
//!         if isinstance(e, ValueError): return 'handled'
//!         raise e
//!     def close(self): self.log.append("close")
//!
//! def outer(log):
//!     try:
//!         r = yield from Echo(log)
//!         log.append(f"outer got {r}")
//!         yield 'after'
//!     except KeyError as e:
//!         log.append(f"outer caught {e!r}")
//!         yield 'caught'
//!     finally:
//!         log.append('outer finally')
//! ```

mod trace;

use std::convert::Infallible;
use trace::{KeyError, Log, ValueError};
use yieldfrom::{AnyError, Co, Delegate, Error, GenState, Generator, Step};

struct Echo {
    log: Log,
}

impl Delegate for Echo {
    type Yield = String;
    type Send = String;
    type Return = String;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Echo"
    }

    fn send(
        &mut self,
        value: Option<String>,
    ) -> Result<Step<String, String, Infallible>, AnyError> {
        let shown = value.as_deref().unwrap_or("None");
        self.log.push(format!("send {shown}"));
        if shown == "stop" {
            return Ok(Step::Returned("returned".to_owned()));
        }
        Ok(Step::Yielded(format!("echo {shown}")))
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<String, String, Infallible>, AnyError> {
        let shown = if let Some(v) = error.downcast_ref::<ValueError>() {
            format!("ValueError('{v}')")
        } else if let Some(k) = error.downcast_ref::<KeyError>() {
            format!("KeyError({k})")
        } else {
            format!("{error:?}")
        };
        self.log.push(format!("throw {shown}"));
        if error.is::<ValueError>() {
            return Ok(Step::Yielded("handled".to_owned()));
        }
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        self.log.push("close");
        Ok(())
    }
}

fn outer(log: &Log) -> Generator<String, String> {
    let log = log.clone();
    Generator::new("outer", move |co: Co<String, String>| async move {
        let _finally = log.finally("outer finally");
        match co.yield_from_delegate(Echo { log: log.clone() }).await {
            Ok(r) => {
                log.push(format!("outer got {r}"));
                co.yield_("after".to_owned()).await?;
            }
            Err(e) if e.is::<KeyError>() => {
                log.push(format!("outer caught KeyError({e})"));
                co.yield_("caught".to_owned()).await?;
            }
            Err(e) => return Err(e),
        }
        Ok(())
    })
}

fn yielded<V, W>(step: Result<Step<String, (), V>, Error<AnyError, W>>) -> String {
    match step {
        Ok(Step::Yielded(y)) => y,
        Ok(_) => panic!("expected a yield, got the end"),
        Err(e) => panic!("expected a yield, got {e}"),
    }
}

#[test]
fn next_send_and_a_handled_throw_reach_the_delegate_and_its_return_is_the_value_of_yield_from() {
    // next(g), g.send(1), g.throw(ValueError('v')), g.send('stop') ->
    // echo None, echo 1, handled, after; gi_yieldfrom is the Echo;
    // log: send None, send 1, throw ValueError('v'), send stop,
    // outer got returned
    let log = Log::new();
    let g = outer(&log);
    assert_eq!(yielded(g.next()), "echo None");
    assert_eq!(yielded(g.send("1".to_owned())), "echo 1");
    assert_eq!(yielded(g.throw(ValueError("v").into())), "handled");
    let inner = g.delegate().expect("delegating");
    assert_eq!(
        (inner.name, inner.state),
        ("Echo", Some(GenState::Suspended))
    );
    assert_eq!(yielded(g.send("stop".to_owned())), "after");
    assert_eq!(g.delegate(), None);
    assert_eq!(
        log.take(),
        [
            "send None",
            "send 1",
            "throw ValueError('v')",
            "send stop",
            "outer got returned"
        ]
    );
}

#[test]
fn an_error_the_delegates_throw_raises_is_raised_at_the_delegators_yield_from() {
    // next(g); g.throw(KeyError('k')) -> caught; log: send None,
    // throw KeyError('k'), outer caught KeyError('k')
    let log = Log::new();
    let g = outer(&log);
    g.next().unwrap();
    assert_eq!(yielded(g.throw(KeyError("k").into())), "caught");
    assert_eq!(
        log.take(),
        [
            "send None",
            "throw KeyError('k')",
            "outer caught KeyError('k')"
        ]
    );
}

#[test]
fn close_calls_the_delegates_close_then_raises_generator_exit_in_the_delegator() {
    // next(g); g.close() -> log: send None, close, outer finally; GEN_CLOSED
    let log = Log::new();
    let g = outer(&log);
    g.next().unwrap();
    assert_eq!(g.close().unwrap(), None);
    assert_eq!(log.take(), ["send None", "close", "outer finally"]);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn dropping_the_suspended_delegator_closes_the_delegate_as_close_does() {
    let log = Log::new();
    let g = outer(&log);
    g.next().unwrap();
    drop(g);
    assert_eq!(log.take(), ["send None", "close", "outer finally"]);
}

/// The `Echo` written as a generator: the same program, delegated to with
/// `yield_from`.
fn echo_generator(log: &Log) -> Generator<String, String, String> {
    let log = log.clone();
    Generator::new("Echo", move |co: Co<String, String>| async move {
        let mut sent = {
            log.push("send None");
            co.yield_("echo None".to_owned()).await
        };
        loop {
            let next = match sent {
                Ok(value) => {
                    let shown = value.unwrap_or_else(|| "None".to_owned());
                    log.push(format!("send {shown}"));
                    if shown == "stop" {
                        return Ok("returned".to_owned());
                    }
                    format!("echo {shown}")
                }
                Err(e) if e.is::<yieldfrom::GeneratorExit>() => {
                    log.push("close");
                    return Err(e);
                }
                Err(e) if e.is::<ValueError>() => {
                    log.push(format!("throw ValueError('{e}')"));
                    "handled".to_owned()
                }
                Err(e) => {
                    log.push(format!("throw KeyError({e})"));
                    return Err(e);
                }
            };
            sent = co.yield_(next).await;
        }
    })
}

#[test]
fn a_delegate_is_forwarded_to_exactly_as_the_same_program_written_as_a_generator() {
    type Op = fn(&Generator<String, String>) -> String;
    let scripts: [&[Op]; 3] = [
        &[
            |g| format!("{:?}", g.next().map_err(|e| e.to_string())),
            |g| format!("{:?}", g.send("x".to_owned()).map_err(|e| e.to_string())),
            |g| {
                format!(
                    "{:?}",
                    g.throw(ValueError("v").into()).map_err(|e| e.to_string())
                )
            },
            |g| format!("{:?}", g.delegate()),
            |g| format!("{:?}", g.send("stop".to_owned()).map_err(|e| e.to_string())),
            |g| format!("{:?}", g.next().map_err(|e| e.to_string())),
        ],
        &[
            |g| format!("{:?}", g.next().map_err(|e| e.to_string())),
            |g| {
                format!(
                    "{:?}",
                    g.throw(KeyError("k").into()).map_err(|e| e.to_string())
                )
            },
            |g| format!("{:?}", g.close().map_err(|e| e.to_string())),
        ],
        &[
            |g| format!("{:?}", g.next().map_err(|e| e.to_string())),
            |g| format!("{:?}", g.close().map_err(|e| e.to_string())),
            |g| format!("{:?}", g.state()),
        ],
    ];
    for script in scripts {
        let run = |make: &dyn Fn(&Log) -> Generator<String, String, String>| {
            let log = Log::new();
            let inner = make(&log);
            let outer_log = log.clone();
            let g: Generator<String, String> =
                Generator::new("outer", move |co: Co<String, String>| async move {
                    let _finally = outer_log.finally("outer finally");
                    match co.yield_from(inner).await {
                        Ok(r) => outer_log.push(format!("outer got {r}")),
                        Err(e) if e.is::<KeyError>() => {
                            outer_log.push("outer caught");
                            co.yield_("caught".to_owned()).await?;
                        }
                        Err(e) => return Err(e),
                    }
                    Ok(())
                });
            let mut seen: Vec<String> = script.iter().map(|op| op(&g)).collect();
            drop(g);
            seen.extend(log.take());
            seen
        };
        assert_eq!(
            run(&|log| Generator::from_delegate(Echo { log: log.clone() })),
            run(&echo_generator)
        );
    }
}

/// Counts down from `n`, yielding each number; a sent value restarts it
/// there.
struct Countdown(u32);

impl Delegate for Countdown {
    type Yield = u32;
    type Send = u32;
    type Return = &'static str;
    type Error = AnyError;

    fn name(&self) -> &'static str {
        "Countdown"
    }

    fn send(
        &mut self,
        value: Option<u32>,
    ) -> Result<Step<u32, &'static str, Infallible>, AnyError> {
        if let Some(n) = value {
            self.0 = n;
        }
        if self.0 == 0 {
            return Ok(Step::Returned("liftoff"));
        }
        self.0 -= 1;
        Ok(Step::Yielded(self.0 + 1))
    }

    fn throw(&mut self, error: AnyError) -> Result<Step<u32, &'static str, Infallible>, AnyError> {
        Err(error)
    }

    fn close(&mut self) -> Result<(), AnyError> {
        Ok(())
    }
}

#[test]
fn a_send_delegate_is_delegated_to_on_the_thread_safe_flavour_from_another_thread() {
    let g: yieldfrom::sync::Generator<u32, u32, &'static str> =
        yieldfrom::sync::Generator::new("launch", |co| async move {
            co.yield_from_delegate(Countdown(2)).await
        });
    let (yielded, returned) = std::thread::spawn(move || {
        let yielded = [
            g.next().unwrap().yielded(),
            g.send(3).unwrap().yielded(),
            g.next().unwrap().yielded(),
            g.next().unwrap().yielded(),
        ];
        (yielded, g.next().unwrap().returned())
    })
    .join()
    .unwrap();
    assert_eq!(yielded, [Some(2), Some(3), Some(2), Some(1)]);
    assert_eq!(returned, Some("liftoff"));
}
