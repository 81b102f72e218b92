//! Group commit: concurrent writes of one kind share one transaction, so that one
//! commit (one fsync of the journal) makes a whole group durable instead of one each.
//!
//! A write is queued with the function that writes a group. When no group is being
//! written, the queueing caller starts a task that takes everything queued (up to
//! [`MAX_GROUP`]), writes it as one group and answers each write only once the group's
//! commit has returned (a write is never acknowledged before it is durable); writes
//! queued meanwhile form the next group. Nothing waits to fill a group: a lone write is
//! written at once, and a group grows with the load, by as many as came in while the
//! previous commit was syncing.
//!
//! The task writing a group is independent of the callers: a caller that stops waiting
//! (its request dropped) leaves its write to be written, like any other; nobody is
//! told. When the task itself ends abnormally (a panic, the runtime shutting down), the
//! writes it held and those queued are answered with an error and the next write starts
//! a new task.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::{Result, StoreError};

/// The most writes one group takes.
pub const MAX_GROUP: usize = 64;

type Reply<R> = oneshot::Sender<Result<R>>;

struct Queue<J, R> {
    jobs: Vec<(J, Reply<R>)>,
    /// A task is writing groups (and will take what is queued).
    running: bool,
}

/// A queue of writes of one kind (`J` written, `R` answered), written in groups.
pub(crate) struct GroupCommit<J, R> {
    queue: Arc<Mutex<Queue<J, R>>>,
}

impl<J, R> Clone for GroupCommit<J, R> {
    fn clone(&self) -> Self {
        GroupCommit { queue: self.queue.clone() }
    }
}

impl<J, R> Default for GroupCommit<J, R> {
    fn default() -> Self {
        GroupCommit { queue: Arc::new(Mutex::new(Queue { jobs: Vec::new(), running: false })) }
    }
}

impl<J, R> std::fmt::Debug for GroupCommit<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = lock(&self.queue);
        f.debug_struct("GroupCommit")
            .field("queued", &queue.jobs.len())
            .field("running", &queue.running)
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error of a write whose group's task ended before answering it.
fn abandoned() -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(
        "the group commit ended before this write was written (nothing was acknowledged)",
    )))
}

impl<J: Send + 'static, R: Send + 'static> GroupCommit<J, R> {
    /// Queues `job` and answers its result once its group is committed. `write` writes
    /// a group in one transaction and answers each job's result in order (an error for
    /// a job whose part was rolled back, or for all of them if the commit failed).
    pub(crate) async fn submit<F, Fut>(&self, job: J, write: F) -> Result<R>
    where
        F: Fn(Vec<J>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<R>>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = lock(&self.queue);
            queue.jobs.push((job, reply));
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            // The writing task is driven by a thread of its own (the runtime's blocking
            // pool), not queued among the request tasks: each of a group's statements
            // resumes it, and behind a busy run queue every resumption would wait.
            let (queue, runtime) = (self.queue.clone(), tokio::runtime::Handle::current());
            tokio::task::spawn_blocking(move || runtime.block_on(write_groups(queue, write)));
        }
        answer.await.unwrap_or_else(|_| Err(abandoned()))
    }
}

/// Marks the queue idle if the task writing groups ends before it has said so (a
/// panic, or the runtime dropping the task), answering every queued write with an
/// error (their senders dropped).
struct Running<J, R> {
    queue: Arc<Mutex<Queue<J, R>>>,
    armed: bool,
}

impl<J, R> Drop for Running<J, R> {
    fn drop(&mut self) {
        if self.armed {
            let mut queue = lock(&self.queue);
            queue.jobs.clear();
            queue.running = false;
        }
    }
}

async fn write_groups<J, R, F, Fut>(queue: Arc<Mutex<Queue<J, R>>>, write: F)
where
    F: Fn(Vec<J>) -> Fut,
    Fut: Future<Output = Vec<Result<R>>>,
{
    let mut running = Running { queue: queue.clone(), armed: true };
    loop {
        let group: Vec<(J, Reply<R>)> = {
            let mut queue = lock(&queue);
            if queue.jobs.is_empty() {
                queue.running = false;
                running.armed = false;
                return;
            }
            let n = queue.jobs.len().min(MAX_GROUP);
            queue.jobs.drain(..n).collect()
        };
        let (jobs, replies): (Vec<J>, Vec<Reply<R>>) = group.into_iter().unzip();
        let count = jobs.len();
        let results = write(jobs).await;
        debug_assert_eq!(results.len(), count, "one result per write");
        tracing::trace!(writes = count, "group committed");
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that stopped waiting is not told.
            let _ = reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_write_is_answered_in_groups_that_grow_with_the_load() {
        let group = GroupCommit::<usize, (usize, usize)>::default();
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (group, sizes) = (group.clone(), sizes.clone());
            tasks.push(tokio::spawn(async move {
                group
                    .submit(i, move |jobs: Vec<usize>| {
                        let sizes = sizes.clone();
                        async move {
                            lock(&sizes).push(jobs.len());
                            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                            jobs.iter().map(|j| Ok((*j, jobs.len()))).collect()
                        }
                    })
                    .await
            }));
        }
        for (i, task) in tasks.into_iter().enumerate() {
            let (answered, _) = task.await.unwrap().unwrap();
            assert_eq!(answered, i, "each write gets its own answer");
        }
        let sizes = lock(&sizes).clone();
        assert_eq!(sizes.iter().sum::<usize>(), 200, "every write written once");
        assert!(sizes.iter().all(|n| *n <= MAX_GROUP));
        assert!(sizes.len() < 200, "concurrent writes shared groups: {sizes:?}");
        // The writing thread answers the last group before it finds the queue empty.
        for _ in 0..1000 {
            if !lock(&group.queue).running {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(!lock(&group.queue).running, "idle again");
    }

    #[tokio::test]
    async fn a_failed_group_answers_each_write_with_its_error_and_the_queue_goes_on() {
        let group = GroupCommit::<usize, usize>::default();
        // Every submitter passes the same writer (the task writing groups may still be
        // running, with the writer it started with, when the next write comes).
        let write = |jobs: Vec<usize>| async move {
            jobs.into_iter()
                .map(|job| if job == 1 { Err(StoreError::Conflict("refused".into())) } else { Ok(job) })
                .collect()
        };
        let failing = group.submit(1, write).await;
        assert!(matches!(failing, Err(StoreError::Conflict(_))));
        let next = group.submit(2, write).await;
        assert_eq!(next.unwrap(), 2);
    }
}
