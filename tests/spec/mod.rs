//! The property-test specification's shared machinery: a small language of
//! generator programs (`program`), an interpreter that runs them as
//! `yieldfrom` generators (`interpret`), a driver that records every
//! operation (`drive`), a renderer and runner for the same programs under
//! CPython (`python`), and the case budget (`budget`).
//!
//! `docs/spec.md` lists the properties and the tests that hold them.
#![allow(
    dead_code,
    reason = "each property suite uses only some of these helpers"
)]

pub mod budget;
pub mod drive;
pub mod interpret;
pub mod program;
pub mod python;
