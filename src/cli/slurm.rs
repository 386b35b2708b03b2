//! `bcfsim slurm`: a run, comparison or sweep split into shards as a Slurm job array, and the
//! merge as a job that starts when every shard has succeeded. Writes the two batch scripts; with
//! `--submit`, submits them through `sbatch` and says the jobs' ids.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use super::{console, Failure, SlurmArgs};

/// The commands that split into shards.
const SPLIT: [&str; 3] = ["run", "compare", "sweep"];
/// The options of the command that the scripts set themselves, so the user may not.
const SET_BY_THE_SCRIPTS: [&str; 4] = ["--out", "--shard", "--first-replication", "--threads"];

/// Writes the job array's and the merge's scripts, and submits them with `--submit`.
pub fn slurm(args: &SlurmArgs) -> Result<(), Failure> {
    let Some((command, command_args)) = args.command.split_first() else {
        return Err(Failure::Usage(
            "bcfsim slurm needs a command to split, e.g. `bcfsim slurm --shards 8 --out results run my.toml -r 1000`"
                .to_owned(),
        ));
    };
    if !SPLIT.contains(&command.as_str()) {
        return Err(Failure::Usage(format!(
            "bcfsim slurm splits `run`, `compare` and `sweep`, not `{command}`"
        )));
    }
    if let Some(taken) = command_args.iter().find(|arg| {
        SET_BY_THE_SCRIPTS
            .iter()
            .any(|option| arg.split('=').next() == Some(option))
    }) {
        return Err(Failure::Usage(format!(
            "`{taken}`: bcfsim slurm sets each shard's --shard, --out and --threads itself (give --out and --cpus-per-task to slurm)"
        )));
    }
    // The command must parse as the shards will run it, so a mistake shows here, not in 20 logs.
    let whole = ["bcfsim"].into_iter().chain(args.command.iter().map(String::as_str));
    if let Err(error) = <super::Cli as clap::Parser>::try_parse_from(whole) {
        return Err(Failure::Usage(format!(
            "the command to split: {}(bcfsim slurm's own options, such as --submit, go before `{command}`)",
            error.render()
        )));
    }
    let here = std::env::current_dir().map_err(|e| Failure::Io(e.into()))?;
    let bcfsim = std::env::current_exe().map_err(|e| Failure::Io(e.into()))?;
    let out = absolute(&here, &args.out);
    let jobs = jobs_folder(&out);
    let shards = shards_folder(&out);
    std::fs::create_dir_all(&jobs)
        .map_err(|e| Failure::Io(anyhow::Error::from(e).context(format!("cannot create {}", jobs.display()))))?;
    let name = out
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    let header = |job: &str, array: Option<u32>| {
        let mut text = format!("#!/bin/bash\n#SBATCH --job-name=bcfsim-{job}-{}\n", safe(&name));
        let _ = writeln!(text, "#SBATCH --chdir={}", quoted(&here.display().to_string()));
        if let Some(shards) = array {
            let _ = writeln!(text, "#SBATCH --array=0-{}", shards - 1);
            let _ = writeln!(
                text,
                "#SBATCH --output={}",
                quoted(&jobs.join("shard-%a.log").display().to_string())
            );
        } else {
            let _ = writeln!(
                text,
                "#SBATCH --output={}",
                quoted(&jobs.join("merge.log").display().to_string())
            );
        }
        if let Some(partition) = &args.partition {
            let _ = writeln!(text, "#SBATCH --partition={partition}");
        }
        if let Some(time) = &args.time {
            let _ = writeln!(text, "#SBATCH --time={time}");
        }
        if array.is_some() {
            let _ = writeln!(text, "#SBATCH --cpus-per-task={}", args.cpus_per_task);
        }
        text.push_str("set -euo pipefail\n");
        text
    };
    let mut array = header("shards", Some(args.shards));
    let mut line = vec![quoted(&bcfsim.display().to_string()), command.clone()];
    line.extend(command_args.iter().map(|arg| quoted(arg)));
    line.push(format!("--threads {}", args.cpus_per_task));
    line.push(format!("--shard \"$SLURM_ARRAY_TASK_ID/{}\"", args.shards));
    line.push(format!(
        "--out {}/\"$SLURM_ARRAY_TASK_ID\"",
        quoted(&shards.display().to_string())
    ));
    let _ = writeln!(array, "exec {}", line.join(" "));
    let mut merge = header("merge", None);
    let parts: Vec<String> = (0..args.shards)
        .map(|k| quoted(&shards.join(k.to_string()).display().to_string()))
        .collect();
    let _ = writeln!(
        merge,
        "exec {} merge {} --out {}{}",
        quoted(&bcfsim.display().to_string()),
        parts.join(" "),
        quoted(&out.display().to_string()),
        if args.report { " --report" } else { "" }
    );
    let array_script = jobs.join("shards.sh");
    let merge_script = jobs.join("merge.sh");
    for (path, text) in [(&array_script, &array), (&merge_script, &merge)] {
        std::fs::write(path, text)
            .map_err(|e| Failure::Io(anyhow::Error::from(e).context(format!("cannot write {}", path.display()))))?;
    }
    if !args.submit {
        return console::print(&format!(
            "wrote the job array's script ({} shards) and the merge's:\n  {}\n  {}\nsubmit them with\n  \
             id=$(sbatch --parsable {})\n  sbatch --dependency=afterok:$id {}\nor run bcfsim slurm again with --submit\n",
            args.shards,
            array_script.display(),
            merge_script.display(),
            array_script.display(),
            merge_script.display()
        ));
    }
    let array_id = sbatch(&[], &array_script)?;
    let merge_id = sbatch(&[format!("--dependency=afterok:{array_id}")], &merge_script)?;
    console::print(&format!(
        "submitted the shards as job {array_id} ({} tasks) and the merge as job {merge_id}, which starts when every shard has succeeded; results in {}\n",
        args.shards,
        out.display()
    ))
}

/// Where the scripts and their logs go: beside the results, `<out>.slurm/`.
fn jobs_folder(out: &Path) -> PathBuf {
    out.with_file_name(format!(
        "{}.slurm",
        out.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy())
    ))
}

/// Where the shards' results go: beside the results, `<out>.shards/<K>`.
fn shards_folder(out: &Path) -> PathBuf {
    out.with_file_name(format!(
        "{}.shards",
        out.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy())
    ))
}

fn absolute(here: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        here.join(path)
    }
}

/// Submits `script` with `sbatch --parsable` and the `extra` options; returns the job's id.
fn sbatch(extra: &[String], script: &Path) -> Result<String, Failure> {
    let output = Process::new("sbatch")
        .arg("--parsable")
        .args(extra)
        .arg(script)
        .output()
        .map_err(|e| Failure::Usage(format!("cannot run sbatch ({e}); is this a Slurm login node?")))?;
    if !output.status.success() {
        return Err(Failure::Usage(format!(
            "sbatch refused {}: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    // `--parsable` prints `id` or `id;cluster`.
    let text = String::from_utf8_lossy(&output.stdout);
    let id = text.trim().split(';').next().unwrap_or_default().to_owned();
    if id.is_empty() {
        return Err(Failure::Usage(format!(
            "sbatch gave no job id for {}",
            script.display()
        )));
    }
    Ok(id)
}

/// `text` as one word for bash, in single quotes where it needs them.
fn quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `text` with only letters, digits, `-` and `_`, for a job's name.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_bash_only_where_needed() {
        assert_eq!(quoted("my.toml"), "my.toml");
        assert_eq!(quoted("hca_fte=68"), "hca_fte=68");
        assert_eq!(quoted("a b"), "'a b'");
        assert_eq!(quoted("it's"), r"'it'\''s'");
        assert_eq!(quoted("{ dist = \"gamma\" }"), "'{ dist = \"gamma\" }'");
        assert_eq!(quoted(""), "''");
    }
}
