//! Course notes 004 with real sockets: "in I/O tasks, such as HTTP
//! requests, most of the time is spent waiting for the answer; why not use
//! that time for something else?" A client fetches 20 pages that each take
//! half a second to come (`/sleep?s=0.5` of `http_hello`, served by this
//! same loop on a free port): one after another (about 10 s), all at once
//! with `gather` (about 0.5 s), and five at a time with a `Semaphore`
//! (about 2 s). Then a `wait_for` that gives up on a slow page, and a fetch
//! cancelled half-way that leaves no socket open behind it.
//!
//! `--scale F` multiplies every wait by `F` (the test runs it at 0.2).
//! Mirrors `examples/python/fetch_many.py`.

use std::time::Instant;
use yieldfrom::{
    AnyError,
    asyncio::{
        Address, Coroutine, EventLoop, Semaphore, TimeoutError, ValueError, coroutine, gather,
        open_connection, run, sleep, start_server, wait_for,
    },
};

#[allow(dead_code, reason = "its main is the http_hello example's own")]
mod http_hello;

const PAGES: usize = 20;

/// `--scale F` on the command line, else 1.
fn scale_from_args() -> Result<f64, AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|a| a == "--scale") else {
        return Ok(1.0);
    };
    let value = args.get(at + 1).map_or("", String::as_str);
    value
        .parse()
        .ok()
        .filter(|scale: &f64| *scale > 0.0)
        .ok_or_else(|| {
            ValueError {
                message: format!("--scale takes a positive number, not {value:?}"),
            }
            .into()
        })
}

/// The body of `GET path`, on a connection of its own that is closed
/// however the fetch ends: with the page, an error, or cancelled.
fn fetch(port: u16, path: String) -> Coroutine<Vec<u8>> {
    coroutine("fetch", move |co| async move {
        let (reader, writer) = co.yield_from(open_connection("127.0.0.1", port)).await?;
        let closing = writer.clone();
        let exchanged = coroutine("exchange", |co| async move {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            writer.write(request.as_bytes())?;
            co.yield_from(writer.drain()).await?;
            co.yield_from(reader.read(-1)).await
        });
        let response = co.yield_from(exchanged).await;
        closing.close();
        // Whatever ended the exchange (a cancellation too), the socket is
        // closed before the fetch ends; an error closing it is the
        // server's going away, which `response` says better.
        let _ = co.yield_from(closing.wait_closed()).await;
        let response = response?;
        let Some(at) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Err(ValueError {
                message: "no end to the response's head".into(),
            }
            .into());
        };
        if !response.starts_with(b"HTTP/1.1 200 ") {
            return Err(ValueError {
                message: String::from_utf8_lossy(&response[..at]).into_owned(),
            }
            .into());
        }
        Ok(response[at + 4..].to_vec())
    })
}

/// [`fetch`] once `semaphore` gives a permit (Python's `async with sem`).
fn fetch_limited(semaphore: Semaphore, port: u16, path: String) -> Coroutine<Vec<u8>> {
    coroutine("fetch_limited", move |co| async move {
        co.yield_from(semaphore.acquire()).await?;
        let fetched = co.yield_from(fetch(port, path)).await;
        semaphore.release()?;
        fetched
    })
}

/// Waits (a bounded number of turns) until the server holds `n`
/// connections.
fn until_server_holds(n: usize) -> Coroutine<()> {
    coroutine("until_server_holds", move |co| async move {
        for _ in 0..500 {
            if http_hello::open_connections() == n {
                return Ok(());
            }
            co.yield_from(sleep(0.01)).await?;
        }
        Err(ValueError {
            message: format!("the server never held {n} connections"),
        }
        .into())
    })
}

/// How many file descriptors this process has open.
fn open_descriptors() -> Result<usize, AnyError> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

fn main_coroutine(scale: f64) -> Coroutine {
    coroutine("main", move |co| async move {
        let lp = EventLoop::running()?;
        let server = co
            .yield_from(start_server(http_hello::handle, "127.0.0.1", 0))
            .await?;
        let Some(Address::Inet(address)) = server.sockets().into_iter().next() else {
            return Err(ValueError {
                message: "the server has no TCP socket".into(),
            }
            .into());
        };
        let port = address.port();
        let page = format!("/sleep?s={:.2}", 0.5 * scale);

        let started = Instant::now();
        for _ in 0..PAGES {
            co.yield_from(fetch(port, page.clone())).await?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!("{PAGES} pages of {page}, one after another: {elapsed:.2} s");

        let started = Instant::now();
        let fetches = (0..PAGES).map(|_| fetch(port, page.clone()));
        co.yield_from(gather(fetches)?.wait()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        println!("{PAGES} pages of {page}, all at once with gather: {elapsed:.2} s");

        let started = Instant::now();
        let semaphore = Semaphore::new(5);
        let fetches = (0..PAGES).map(|_| fetch_limited(semaphore.clone(), port, page.clone()));
        co.yield_from(gather(fetches)?.wait()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        println!("{PAGES} pages of {page}, 5 at a time with a Semaphore: {elapsed:.2} s");

        let slow = format!("/sleep?s={:.2}", 2.0 * scale);
        let started = Instant::now();
        match co
            .yield_from(wait_for(fetch(port, slow.clone()), Some(0.5 * scale)))
            .await
        {
            Err(e) if e.is::<TimeoutError>() => {
                let elapsed = started.elapsed().as_secs_f64();
                println!("wait_for gave up on {slow} after {elapsed:.2} s: TimeoutError");
            }
            other => println!("wait_for did not time out: {:?}", other.map(|b| b.len())),
        }
        co.yield_from(until_server_holds(0)).await?;

        let descriptors = open_descriptors()?;
        let fetching = lp.create_task(fetch(port, slow.clone()))?;
        co.yield_from(until_server_holds(1)).await?;
        fetching.cancel();
        let outcome = co.yield_from(fetching.wait()).await;
        co.yield_from(until_server_holds(0)).await?;
        println!(
            "a fetch of {slow} cancelled ({}): the server holds {} connections; \
             {} descriptors open before it, {} after",
            if outcome.is_err() {
                "CancelledError"
            } else {
                "finished anyway"
            },
            http_hello::open_connections(),
            descriptors,
            open_descriptors()?,
        );
        server.close();
        co.yield_from(server.wait_closed()).await
    })
}

fn main() -> Result<(), AnyError> {
    run(main_coroutine(scale_from_args()?))
}
