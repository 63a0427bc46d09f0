//! `wait_for` with and without `shield` (course notes 003, timeouts): a
//! slow operation given one second. Unshielded, the timeout cancels it;
//! shielded, the caller gets its `TimeoutError` and the operation runs on,
//! to be awaited later.
//!
//! `cargo run --example timeouts -- --virtual --timeline t.svg` runs it on
//! the virtual clock and draws its timeline (docs/timelines/timeouts.svg).

use yieldfrom::asyncio::{Coroutine, EventLoop, TimeoutError, coroutine, shield, sleep, wait_for};

mod common;
use common::{Outputs, clock_from_args, say};

fn slow_operation() -> Coroutine<&'static str> {
    coroutine("slow_operation", |co| async move {
        co.yield_from(sleep(3.0)).await?;
        Ok("done")
    })
}

fn main_coroutine() -> Coroutine {
    coroutine("main", |co| async move {
        let lp = EventLoop::running()?;
        let unshielded = lp.create_named_task(slow_operation(), "unshielded")?;
        match co.yield_from(wait_for(unshielded.clone(), Some(1.0))).await {
            Err(e) if e.is::<TimeoutError>() => {
                say(format!("timeout: cancelled = {}", unshielded.cancelled()))?;
            }
            other => say(format!("unexpected: {other:?}"))?,
        }
        let shielded = lp.create_named_task(slow_operation(), "shielded")?;
        match co
            .yield_from(wait_for(shield(shielded.clone())?, Some(1.0)))
            .await
        {
            Err(e) if e.is::<TimeoutError>() => {
                say(format!("timeout: cancelled = {}", shielded.cancelled()))?;
            }
            other => say(format!("unexpected: {other:?}"))?,
        }
        let result = co.yield_from(shielded.wait()).await?;
        say(format!("the shielded operation finished: {result}"))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = clock_from_args();
    Outputs::from_args().run(clock, None, main_coroutine())?;
    Ok(())
}
