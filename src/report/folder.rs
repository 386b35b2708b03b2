//! A results folder written as one unit.
//!
//! A run writes every file into a fresh folder beside the target (a random name, created
//! exclusively, its files too, so nothing planted there can be followed) and, once every file is complete and
//! synced, puts it in the target's place in one step: on Linux the two folders are exchanged
//! (`renameat2` with `RENAME_EXCHANGE`) and the old one removed, elsewhere the old one is moved
//! aside first. A reader sees the old set or the new set, never a mix, and nothing stale. Only
//! folders bcfsim made (they hold a marker file) are ever replaced; a lock file beside the target
//! keeps two runs from writing the same folder. A folder not committed is removed when dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The file that marks a folder as bcfsim's results, so that replacing it deletes nothing else.
pub const MARKER: &str = ".bcfsim-results";

/// Why a results folder could not be prepared or written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The target exists, is not empty and was not made by bcfsim: the user's own files.
    #[error(
        "{0} already exists and holds files bcfsim did not write; choose another --out, or empty or remove it first"
    )]
    NotOurs(PathBuf),
    /// The target is not a folder.
    #[error("{0} is not a folder; choose another --out")]
    NotAFolder(PathBuf),
    /// Another run is writing the same folder now.
    #[error("another bcfsim run is writing {0} now (it holds {1}); wait for it, or choose another --out")]
    Busy(PathBuf, PathBuf),
    /// The file system refused.
    #[error("cannot write {path}")]
    Io {
        /// What could not be written.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

impl FolderError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> FolderError + '_ {
        move |source| FolderError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether the user must choose another folder (a usage mistake), rather than the system
    /// having failed to write.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            FolderError::NotOurs(_) | FolderError::NotAFolder(_) | FolderError::Busy(..)
        )
    }
}

/// A results folder being written: files go to a private staging folder until [`commit`].
///
/// [`commit`]: ResultsFolder::commit
#[derive(Debug)]
pub struct ResultsFolder {
    target: PathBuf,
    /// `.NAME.`: how the names of the hidden folders beside the target begin.
    hidden_prefix: String,
    staging: PathBuf,
    /// Held open (and locked) until the folder is committed or dropped.
    _lock: File,
    committed: bool,
}

impl ResultsFolder {
    /// Checks that `target` may be replaced, takes its lock and creates the staging folder, so
    /// that an unwritable place is found before any simulating.
    pub fn prepare(target: &Path) -> Result<ResultsFolder, FolderError> {
        let name = target
            .file_name()
            .ok_or_else(|| FolderError::NotAFolder(target.to_owned()))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        if let Some(file) = parent.ancestors().find(|p| p.exists() && !p.is_dir()) {
            return Err(FolderError::NotAFolder(file.to_owned()));
        }
        fs::create_dir_all(&parent).map_err(FolderError::io(&parent))?;
        if fs::symlink_metadata(target).is_ok_and(|metadata| !metadata.is_dir()) {
            return Err(FolderError::NotAFolder(target.to_owned()));
        }
        let lock_path = parent.join(format!(".{name}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&lock_path)
            .map_err(FolderError::io(&lock_path))?;
        // SAFETY: flock on a file descriptor we own; it is released when the file is closed.
        if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(FolderError::Busy(target.to_owned(), lock_path));
        }
        // Holding the lock, no other run is writing here: staging folders and old results left by
        // a run that was killed are leftovers.
        for entry in fs::read_dir(&parent).map_err(FolderError::io(&parent))?.flatten() {
            let leftover = entry.file_name().to_string_lossy().into_owned();
            if leftover.starts_with(&format!(".{name}."))
                && (leftover.ends_with(".partial") || leftover.ends_with(".old"))
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        match fs::symlink_metadata(target) {
            Ok(_) => {
                let ours = target.join(MARKER).is_file();
                let empty = fs::read_dir(target).map_err(FolderError::io(target))?.next().is_none();
                if !ours && !empty {
                    return Err(FolderError::NotOurs(target.to_owned()));
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(FolderError::io(target)(error)),
        }
        let staging = loop {
            let candidate = parent.join(format!(".{name}.{:016x}.partial", rand::random::<u64>()));
            match fs::DirBuilder::new().create(&candidate) {
                Ok(()) => break candidate,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(FolderError::io(&candidate)(error)),
            }
        };
        let folder = ResultsFolder {
            target: target.to_owned(),
            hidden_prefix: format!(".{name}."),
            staging,
            _lock: lock,
            committed: false,
        };
        folder.write(MARKER, |w| {
            w.write_all(b"results written by bcfsim; the folder is replaced as a whole by the next run\n")
        })?;
        Ok(folder)
    }

    /// The folder the results will be in once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where a file of the results is being written now (inside the staging folder).
    pub fn staged(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Creates file `name` (which may be in a subfolder, `base/summary.json`) in the staging
    /// folder, never an existing one, for writing.
    pub fn create(&self, name: &str) -> Result<BufWriter<File>, FolderError> {
        let path = self.staged(name);
        if let Some(parent) = path.parent().filter(|parent| *parent != self.staging) {
            fs::create_dir_all(parent).map_err(FolderError::io(&self.target.join(name)))?;
        }
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map(BufWriter::new)
            .map_err(FolderError::io(&self.target.join(name)))
    }

    /// Finishes a file made by [`Self::create`]: flushed and synced to disk.
    pub fn finish(&self, name: &str, file: BufWriter<File>) -> Result<(), FolderError> {
        let path = self.target.join(name);
        file.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .map_err(FolderError::io(&path))
    }

    /// Writes file `name` with `write`, then syncs it.
    pub fn write(&self, name: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), FolderError> {
        let mut file = self.create(name)?;
        write(&mut file).map_err(FolderError::io(&self.target.join(name)))?;
        self.finish(name, file)
    }

    /// Puts the committed results' file `name` into the staging folder unchanged (a hard link,
    /// or a copy across file systems), for a command that adds files to results already written.
    /// Only plain files are kept; anything else there is left out.
    pub fn keep(&self, name: &str) -> Result<(), FolderError> {
        let from = self.target.join(name);
        let error = FolderError::io(&from);
        if !fs::symlink_metadata(&from).map_err(error)?.file_type().is_file() {
            return Ok(());
        }
        let to = self.staged(name);
        if let Some(parent) = to.parent().filter(|parent| *parent != self.staging) {
            fs::create_dir_all(parent).map_err(FolderError::io(&self.target.join(name)))?;
        }
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(FolderError::io(&from))?;
        }
        Ok(())
    }

    /// Removes file `name` from the staging folder (a working file that is not part of the
    /// results).
    pub fn remove(&self, name: &str) -> Result<(), FolderError> {
        let path = self.staged(name);
        fs::remove_file(&path).map_err(FolderError::io(&path))
    }

    /// Renames file `from` of the staging folder to `to` (a working file kept as a result).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FolderError> {
        fs::rename(self.staged(from), self.staged(to)).map_err(FolderError::io(&self.target.join(to)))
    }

    /// Removes subfolder `name` and everything in it from the staging folder (working files that
    /// are not part of the results).
    pub fn remove_dir(&self, name: &str) -> Result<(), FolderError> {
        let path = self.staged(name);
        fs::remove_dir_all(&path).map_err(FolderError::io(&path))
    }

    /// Puts the staging folder in the target's place in one step and removes the old results.
    pub fn commit(mut self) -> Result<(), FolderError> {
        let parent = self
            .staging
            .parent()
            .expect("the staging folder has a parent")
            .to_owned();
        let sync_parent = || File::open(&parent).and_then(|dir| dir.sync_all());
        sync_parent().map_err(FolderError::io(&parent))?;
        if self.target.exists() {
            if exchange(&self.staging, &self.target).is_err() {
                // Without an atomic exchange, move the old results aside first.
                let aside = parent.join(format!("{}{:016x}.old", self.hidden_prefix, rand::random::<u64>()));
                fs::rename(&self.target, &aside).map_err(FolderError::io(&self.target))?;
                fs::rename(&self.staging, &self.target).map_err(FolderError::io(&self.target))?;
                fs::rename(&aside, &self.staging).map_err(FolderError::io(&self.target))?;
            }
            // The old results are now where the staging folder was; dropping removes them.
        } else {
            fs::rename(&self.staging, &self.target).map_err(FolderError::io(&self.target))?;
            self.committed = true;
        }
        sync_parent().map_err(FolderError::io(&parent))?;
        Ok(())
    }
}

impl Drop for ResultsFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Exchanges two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings; AT_FDCWD resolves them as given.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}
