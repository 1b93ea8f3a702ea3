use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::SCHEMA_VERSION;

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed to
/// disk, then renamed over `path`. Readers see the old file or the new one, never a part.
///
/// Creates the parent directory if needed. On error the temporary file is removed and `path` is
/// untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Why a results document could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not a valid results document.
    Parse {
        /// The file.
        path: PathBuf,
        /// What serde found, with line and column.
        source: serde_json::Error,
    },
    /// The document has another schema version.
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ReadError::Parse { path, source } => {
                write!(
                    f,
                    "{} is not a cmap results document: {source}",
                    path.display()
                )
            }
            ReadError::Version { path, found } => write!(
                f,
                "{} has schema_version {found}, but this build reads version {SCHEMA_VERSION}; \
                 regenerate it with this build of `cmap run`",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            ReadError::Parse { source, .. } => Some(source),
            ReadError::Version { .. } => None,
        }
    }
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReadError> {
    let bytes = fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    // Check the version first, so a document from another version gets the version error rather
    // than whatever field happens to fail to parse.
    #[derive(serde::Deserialize)]
    struct Versioned {
        schema_version: Option<u64>,
    }
    let parse = |source| ReadError::Parse {
        path: path.to_owned(),
        source,
    };
    let versioned: Versioned = serde_json::from_slice(&bytes).map_err(parse)?;
    match versioned.schema_version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(found) => {
            return Err(ReadError::Version {
                path: path.to_owned(),
                found,
            });
        }
        None => {
            return Err(ReadError::Version {
                path: path.to_owned(),
                found: 0,
            });
        }
    }
    serde_json::from_slice(&bytes).map_err(parse)
}
