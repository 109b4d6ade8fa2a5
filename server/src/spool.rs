//! Uploads arrive here before they are attachments: each file is written to a
//! temporary file in `<attachments_dir>/incoming` as it streams in, hashed (SHA-256)
//! and counted on the way, and refused once it passes the size limit. One spooler for
//! the agent's upload route and the portal's forms.
//!
//! The temporary file is a `tempfile::TempPath`: it is deleted when dropped, so
//! nothing is left in the spool directory after any failure, early return or panic.
//! `files::store_upload` moves it into place (dropping it afterwards is harmless).

use std::path::Path;

use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

/// Why a spooled upload stopped.
#[derive(Debug)]
pub enum SpoolError {
    /// Past the size limit.
    TooLarge,
    /// The disk refused (no space, no permission).
    Disk(std::io::Error),
}

/// A file being received.
pub struct Spool {
    file: tokio::fs::File,
    path: TempPath,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

/// A file received in full: where it waits, its content hash, its size.
pub struct Spooled {
    pub path: TempPath,
    pub sha256: String,
    pub size: u64,
}

impl Spool {
    /// Starts a file under `attachments_dir/incoming`, refused past `limit` bytes.
    pub async fn create(attachments_dir: &Path, limit: u64) -> Result<Spool, SpoolError> {
        let dir = attachments_dir.join("incoming");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(SpoolError::Disk)?;
        let (file, path) = tokio::task::spawn_blocking(move || {
            tempfile::Builder::new()
                .prefix("upload-")
                .tempfile_in(dir)
                .map(tempfile::NamedTempFile::into_parts)
        })
        .await
        .map_err(|e| SpoolError::Disk(std::io::Error::other(e)))?
        .map_err(SpoolError::Disk)?;
        Ok(Spool {
            file: tokio::fs::File::from_std(file),
            path,
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    /// Appends one piece of the upload.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), SpoolError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(SpoolError::TooLarge);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(SpoolError::Disk)
    }

    /// The whole file is in: flushed, with its hash (lower-case hex) and size.
    pub async fn finish(mut self) -> Result<Spooled, SpoolError> {
        self.file.flush().await.map_err(SpoolError::Disk)?;
        Ok(Spooled {
            path: self.path,
            sha256: format!("{:x}", self.hasher.finalize()),
            size: self.size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spooled_file_is_hashed_and_nothing_is_left_when_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::create(dir.path(), 10).await.unwrap();
        spool.write(b"hello").await.unwrap();
        let done = spool.finish().await.unwrap();
        assert_eq!(done.size, 5);
        assert_eq!(
            done.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(std::fs::read(&done.path).unwrap(), b"hello");
        drop(done);
        let incoming = dir.path().join("incoming");
        assert_eq!(std::fs::read_dir(&incoming).unwrap().count(), 0);

        // Past the limit: refused, and the partial file goes with the spool.
        let mut spool = Spool::create(dir.path(), 4).await.unwrap();
        assert!(matches!(
            spool.write(b"hello").await,
            Err(SpoolError::TooLarge)
        ));
        drop(spool);
        assert_eq!(std::fs::read_dir(&incoming).unwrap().count(), 0);
    }
}
