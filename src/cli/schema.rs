//! `backbone schema`

use super::{ExitStatus, Printer};
use crate::syntax::document::json_schema;

pub(crate) fn run(printer: &mut Printer) -> ExitStatus {
    printer.out(&json_schema());
    ExitStatus::Success
}
