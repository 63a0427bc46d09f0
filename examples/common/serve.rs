//! What the server examples share: `--port N`, the `listening on` line a
//! test waits for, and a clean stop on `SIGINT` or `SIGTERM`.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::{ffi::c_int, io::Write, net::SocketAddr};
use yieldfrom::{
    AnyError,
    asyncio::{Address, Coroutine, EventLoop, Future, Server, ValueError, coroutine},
};

/// `--port N` (or `--port=N`) on the command line, else `default`; 0 asks
/// the OS for a free port.
///
/// # Errors
///
/// `ValueError` when the value is missing or not a port number.
pub fn port_from_args(default: u16) -> Result<u16, AnyError> {
    let Some(value) = option_from_args("--port") else {
        return Ok(default);
    };
    value.parse().map_err(|_| {
        ValueError {
            message: format!("--port takes a number from 0 to 65535, not {value:?}"),
        }
        .into()
    })
}

/// The value of the first `NAME VALUE` (or `NAME=VALUE`) on the command
/// line, `name` spelled with its dashes; empty when `NAME` ends the line.
pub fn option_from_args(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.split_once('=') {
            Some((option, value)) if option == name => return Some(value.to_owned()),
            None if arg == name => return Some(args.next().unwrap_or_default()),
            _ => {}
        }
    }
    None
}

/// Prints `listening on HOST:PORT` for the server's first socket as the
/// program's first line, flushed at once: a test (or a person) starting
/// the example with `--port 0` learns the port from it.
///
/// # Errors
///
/// `ValueError` for a server with no TCP socket; stdout's error.
pub fn announce(server: &Server) -> Result<SocketAddr, AnyError> {
    let Some(Address::Inet(address)) = server.sockets().into_iter().next() else {
        return Err(ValueError {
            message: "the server has no TCP socket".into(),
        }
        .into());
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    Ok(address)
}

/// Waits for `SIGINT` (Ctrl+C) or `SIGTERM` and returns its name. While it
/// waits, the two signals are the loop's: `run`'s own Ctrl+C handling
/// (cancel `main`, end with `KeyboardInterrupt`) steps aside, so that a
/// server can close its connections and end with status 0. The signals
/// get their usual actions back when it returns or is cancelled.
pub fn until_stopped() -> Coroutine<&'static str> {
    coroutine("until_stopped", |co| async move {
        let lp = EventLoop::running()?;
        let stopped: Future<c_int> = lp.create_future();
        for signal in [SIGINT, SIGTERM] {
            let stopped = stopped.clone();
            lp.add_signal_handler(signal, move || {
                if !stopped.done() {
                    let _ = stopped.set_result(signal);
                }
            })?;
        }
        let signal = co.yield_from(stopped.wait()).await;
        for signal in [SIGINT, SIGTERM] {
            lp.remove_signal_handler(signal)?;
        }
        Ok(if signal? == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        })
    })
}
