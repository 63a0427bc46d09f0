//! `AnyError` works with the rest of Rust's error handling: any std error
//! goes in with `?`, it goes out into `Box<dyn Error + Send + Sync>` (the
//! form `anyhow` and `thiserror` exchange) with `?`, a round trip keeps the
//! error's type, and it derefs to the `dyn Error` it holds, so that an
//! error type wrapping it can name it as its source.

mod trace;

use std::{error::Error as StdError, fmt};
use trace::ValueError;
use yieldfrom::{AnyError, Generator};

type BoxError = Box<dyn StdError + Send + Sync>;

#[test]
fn a_std_error_goes_in_with_the_question_mark_and_keeps_its_type() {
    fn parse(text: &str) -> Result<i32, AnyError> {
        Ok(text.parse::<i32>()?)
    }
    let e = parse("x").unwrap_err();
    assert!(e.is::<std::num::ParseIntError>());
}

#[test]
fn a_generators_error_goes_out_into_a_boxed_error_with_the_question_mark() {
    fn rust_side(g: &Generator<i32>) -> Result<i32, BoxError> {
        let raised: Result<i32, AnyError> = Err(ValueError("from the body").into());
        g.next()?;
        Ok(raised?)
    }
    let g: Generator<i32> = Generator::new("quiet", |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    let e = rust_side(&g).unwrap_err();
    assert_eq!(
        e.downcast_ref::<ValueError>(),
        Some(&ValueError("from the body"))
    );
}

#[test]
fn a_round_trip_through_a_boxed_error_keeps_the_type_whether_or_not_it_is_shared() {
    let only: AnyError = ValueError("only").into();
    let boxed: BoxError = only.into();
    assert!(
        boxed.is::<ValueError>(),
        "a sole holder hands the error out"
    );
    assert!(AnyError::from_boxed(boxed).is::<ValueError>());

    let shared: AnyError = ValueError("shared").into();
    let kept = shared.clone();
    let boxed: BoxError = shared.into();
    assert_eq!(boxed.to_string(), "shared");
    let back = AnyError::from_boxed(boxed);
    assert_eq!(
        back.downcast_ref::<ValueError>(),
        Some(&ValueError("shared"))
    );
    drop(kept);
}

/// What `thiserror`'s `#[error("app failed")] App(#[from] AnyError)` makes.
#[derive(Debug)]
struct AppError(AnyError);

impl From<AnyError> for AppError {
    fn from(e: AnyError) -> Self {
        Self(e)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("app failed")
    }
}

impl StdError for AppError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

#[test]
fn an_error_type_wrapping_it_names_the_held_error_as_its_source() {
    fn app() -> Result<(), AppError> {
        Err(AnyError::from(ValueError("deep")))?;
        Ok(())
    }
    let e = app().unwrap_err();
    let source = e.source().expect("the held error");
    assert_eq!(
        source.downcast_ref::<ValueError>(),
        Some(&ValueError("deep"))
    );
    let boxed: BoxError = e.into();
    assert_eq!(boxed.to_string(), "app failed");
}
