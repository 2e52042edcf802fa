//! How a command ends, and so its exit status: an [`Outcome`] when it ran to
//! the end (0 passed, 1 a check failed), an [`Error`] when it could not do its
//! job. Every error is one line that names the path involved and says what
//! to do; its kind decides the exit status.
use std::fmt;
use std::process::ExitCode;

/// How a command that ran to the end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// A check failed: exit 1.
    Failed,
}

impl Outcome {
    pub fn from_ok(ok: bool) -> Outcome {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
        }
    }
}

/// Why a command could not do its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad arguments, unknown slug, missing tool, not a repository: exit 2.
    Usage,
    /// The command ran and refused, e.g. a slug that already exists: exit 1.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Usage or environment error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Usage, message: one_line(message.into()) }
    }

    /// The command refused to act (exit 1).
    pub fn refused(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Refused, message: one_line(message.into()) }
    }

    /// An I/O failure on `path`, with what to do about it.
    pub fn io(path: &std::path::Path, err: &std::io::Error, action: &str) -> Self {
        Error::usage(format!("{}: {err}; {action}", path.display()))
    }

    pub fn exit_code(&self) -> ExitCode {
        match self.kind {
            ErrorKind::Usage => ExitCode::from(2),
            ErrorKind::Refused => ExitCode::from(1),
        }
    }
}

/// Errors are printed on one line: agents and CI logs read them line by line.
fn one_line(message: String) -> String {
    if message.contains('\n') || message.contains('\r') {
        message.split(['\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" | ")
    } else {
        message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
