/*
 * A model of smx's slot protocol (docs/design.md "Consistency protocol" and "Doorbell"),
 * checked exhaustively with spin: tests/model/run.sh builds and runs one configuration,
 * tests/model/check.sh all of them. docs/model.md says what is modelled, what is abstracted,
 * the configurations and their sizes.
 *
 * One writer (SlotWriter), two readers (ReaderRegistration, SlotReader, and the reader core's
 * latest()/next() with their hold: view/copy or pin), NS slots, the doorbell and the writer's
 * wait for a pin release, reader crashes and the writer's reclaim of dead readers' pins.
 *
 * Memory model. Each shared-memory access of the C++ code is one step, and steps of the
 * processes interleave arbitrarily: the model is sequentially consistent. That is what the
 * code's orderings provide where the protocol depends on them:
 *   - Dekker pairs, seq_cst on both sides in the code: writer `seq` odd store then pin loads
 *     (SlotWriter::try_acquire, pinned) against reader pin fetch_add then `seq` load
 *     (ReaderRegistration::pin); writer `bell` fetch_add then `sleeping` loads
 *     (Doorbell::ring) against reader `sleeping` fetch_or then the kernel's compare in
 *     FUTEX_WAIT (Doorbell::wait; the kernel orders it with a full barrier); reader pin
 *     fetch_sub then `writer_waiting` load (unpin) against writer `writer_waiting` store then
 *     pin loads (SlotWriter::acquire).
 *   - The seqlock, not seq_cst: writer odd `seq` store, release fence, data stores, frame
 *     number store (relaxed), even `seq` store (release); reader `seq` load (acquire),
 *     frame number / data loads, acquire fence, `seq` re-load (SlotReader::snapshot,
 *     unchanged). With those fences a reader whose loads saw any store made after the odd
 *     `seq` also sees the odd `seq` (or later) in its re-load, which is all the interleaving
 *     here assumes of them.
 *   Behaviours weaker than that (a compiler or CPU breaking the fences) are not explored.
 * A few steps group several accesses where nothing else can tell the difference; each says
 * why where it is (snapshot, the writer's first look at the pins, reclaim, frame number with
 * the even seq, the data a pinned reader reads).
 *
 * Data: a frame's bytes are two words, d1 and d2, stored one after the other; frame F's bytes
 * are (F, F). A reader that accepts frame F with other bytes has accepted a torn frame.
 * Timestamps are not modelled: they are stored and loaded like the frame number.
 *
 * Crashes. A writer that dies at some step is, for every property checked here, a writer that
 * takes no further step: every interleaving in which the writer stops for good while the
 * readers go on is already explored (the readers do not look at the writer's liveness in the
 * model). WCRASH=1 adds an explicit kill all the same. A reader's death is not like that: its
 * pins, sleeping mark and registration stay behind and the writer reclaims them.
 *
 * Switches (spin -DNAME=value); the defaults are the two-reader configuration that
 * `spin -a slots.pml` checks:
 *   NS=2|3          slots (2)
 *   MAXF=n          frames the writer publishes (2); past them it may still drop a loan
 *   MAXAB=n         loans the writer may drop (abandon) (1)
 *   R0MODES, R1MODES the calls reader 0 and 1 make, sums of LATEST_VIEW 1, LATEST_PIN 2,
 *                   NEXT_VIEW 4, NEXT_PIN 8 (reader 0: 4, next() as a view or copy;
 *                   reader 1: 2, latest() pinned)
 *   LCALLS=n        latest() calls per reader, 0 unbounded (2; see LATEST_LEFT)
 *   ONE_READER      reader 1 is not started
 *   RCRASH=0|1      reader VICTIM (0|1) may die at any step (0)
 *   WCRASH=0|1      the writer may die at any step (0; see Crashes)
 *   RTIMEOUT=n      times each reader's sleep on the bell may time out (0)
 *   WAITFULL=0|1    the writer may wait for a pin release (WhenFull::wait) (1)
 *   HOLD=n          attempts per read call (HOLD_ATTEMPTS in reader_core.cpp is 8) (3)
 *   FALLBACK=0|1|2  next_ref()'s resumption when the newest frame is older than the last one
 *                   returned: 0 none, 1 as reader_core.cpp had it before the model found it
 *                   rewinding next(), 2 as it is now: only if the bell did not change since
 *                   the reader read it before its scan (2)
 *   OLD_ABANDON     abandon as it was before issue 11: a new even seq, the frame number kept;
 *                   without it: frame number 0 ("no frame"), then the new even seq
 *   FINE_SNAPSHOT   a snapshot's three loads as three steps
 *   LATEST_ORDER    also assert that latest() never returns a frame older than one the
 *                   reader returned before (not a property of the code: see docs/model.md)
 * Mutations, each of which the check must reject (tests/model/check.sh):
 *   MUT_NO_RECHECK   the writer does not re-check the pins after making seq odd
 *   MUT_RING_EARLY   ring() looks for sleepers before it changes the bell
 *   MUT_GEN_LATE     next() reads the bell after its scan instead of before
 *   MUT_NO_UNCHANGED a view or copy is accepted without the unchanged() check
 *   MUT_WAIT_LATE    the waiting writer sets writer_waiting after its last try, not before
 *
 * Properties (assertions, and spin's invalid end states):
 *   (a) a reader never accepts a torn frame: an accepted frame's bytes equal its number,
 *       read before unchanged() (view, copy) or while pinned;
 *   (b) the writer never stores into a slot that a reader holds pinned (ghost `held`);
 *   (c) no lost wake-up: (c1) when a ring ends, no reader sleeps in FUTEX_WAIT on a bell value
 *       older than the bell's; (c2) a next() that goes to sleep having found nothing (not
 *       having run out of attempts) has returned every frame rung before (ghost `rung`);
 *       (c3) when nothing can move any more, the writer is done (not stuck waiting for a pin
 *       release) and no reader sleeps on an old bell value, unless the writer died;
 *   (d) a reader's next() returns a frame above every frame it returned before.
 */

#ifndef NS
#define NS 2
#endif
#define NR 2
#ifndef MAXF
#define MAXF 2
#endif
#ifndef MAXAB
#define MAXAB 1
#endif
#ifndef WCRASH
#define WCRASH 0
#endif
#ifndef RCRASH
#define RCRASH 0
#endif
#ifndef VICTIM
#define VICTIM 0
#endif
#ifndef RTIMEOUT
#define RTIMEOUT 0
#endif
#ifndef HOLD
#define HOLD 3
#endif
#ifndef FALLBACK
#define FALLBACK 2
#endif
#ifndef WAITFULL
#define WAITFULL 1
#endif

/* The calls a reader makes (R0MODES, R1MODES: sums of these). */
#define LATEST_VIEW 1   /* latest(), held as a view or copy */
#define LATEST_PIN 2    /* latest(Hold::pin) */
#define NEXT_VIEW 4     /* next(), view or copy */
#define NEXT_PIN 8      /* next(Hold::pin) */
#ifndef R0MODES
#define R0MODES NEXT_VIEW
#endif
#ifndef R1MODES
#define R1MODES LATEST_PIN
#endif
#define MODES(r) ((r) == 0 -> R0MODES : R1MODES)
/* latest() never waits: a reader that only calls it never lets the system come to rest,
 * which (c3) needs. LCALLS > 0 bounds the latest() calls of each reader. */
#ifndef LCALLS
#define LCALLS 2
#endif
#define LATEST_LEFT (LCALLS == 0 || lcalls < LCALLS)
#define COUNT_LATEST if :: LCALLS > 0 -> lcalls++ :: else fi

#define NONE 255        /* no slot */
#define LIVE 1          /* a registration's pid word: a reader's pid */
#define RECLAIMING 2    /* UINT64_MAX in the code */

/* ---- shared memory ---- */
byte seq[NS];           /* SlotRecord::seq: even stable, odd being written */
byte fn[NS];            /* SlotRecord::frame_number: 0 = no frame */
byte d1[NS];            /* the payload: two words per slot */
byte d2[NS];
byte owner[NR];         /* ReaderRecord::pid: 0 free, LIVE, RECLAIMING */
byte pins[NR * NS];     /* ReaderRecord::pins()[slot] */
bit registered[NR];     /* SegmentHeader::registered (one word: loaded in one step) */
bit sleeping[NR];       /* SegmentHeader::sleeping (one word) */
byte bell;              /* SegmentHeader::bell */
/* SegmentHeader::pin_release_epoch. Only the writer reads it, to compare it with its own last
 * read in FUTEX_WAIT; so the model keeps whether it changed since that read (the writer's read
 * clears the bit, a reader's increment sets it), not its value, which would grow forever. */
bit epoch_changed;
bit writer_waiting;     /* SegmentHeader::writer_waiting */

/* ---- the kernel ---- */
bit queued[NR];         /* reader r sleeps in FUTEX_WAIT on bell */
bit wqueued;            /* the writer sleeps in FUTEX_WAIT on pin_release_epoch */
bit rdead[NR];          /* reader r's process died */
bit wdead;              /* the writer's process died */

/* ---- ghosts (not in the code; for the properties) ---- */
byte held[NR];          /* the slot reader r holds pinned after a successful pin, or NONE */
byte hi[NR];            /* the highest frame number reader r returned (or skipped as history) */
byte rung;              /* the frame number of the last commit whose bell increment happened */
bit wdone;              /* the writer finished all its frames */

#define PIN(r, s) pins[(r) * NS + (s)]

#if FALLBACK == 2
#define FALLBACK_TAKEN (found && bf < last && bell == gen)
#else
#define FALLBACK_TAKEN (found && bf < last)
#endif

/* (b): nobody holds slot s pinned (checked at every store into a slot being written) */
#define NOT_HELD(s) (held[0] != (s) && held[1] != (s))
/* (c1): no reader sleeps in the kernel on an old bell value */
#define NO_STALE_SLEEPER ((!queued[0] || seen[0] == bell) && (!queued[1] || seen[1] == bell))
byte seen[NR];          /* the value reader r passed to FUTEX_WAIT (kernel state) */

/* ================================ writer ================================ */

/* SlotWriter::pinned(s): load the registered mask, then the pins of each registered reader. */
inline pinned(s, res) {
    d_step { mask0 = registered[0]; mask1 = registered[1] }
    res = 0;
    if
    :: mask0 -> if :: PIN(0, s) != 0 -> res = 1 :: else fi
    :: else
    fi;
    if
    :: !res && mask1 -> if :: PIN(1, s) != 0 -> res = 1 :: else fi
    :: else
    fi;
    d_step { mask0 = 0; mask1 = 0 }
}

/* SlotWriter::try_acquire: round robin from m_next, skipping the latest slot and pinned ones;
 * seq odd, then the Dekker re-check of the pins. */
inline try_acquire() {
    k = 0;
    got = NONE;
    do
    :: k == NS -> break
    :: else ->
        d_step { s = (next + k) % NS; skip }
        if
        :: s == latest -> k++
        :: else ->
            /* The first look at the pins only skips a slot early; it is one step (the re-check
             * after the odd seq, which the Dekker argument rests on, is access by access). */
            d_step { res = ((registered[0] && PIN(0, s) != 0) || (registered[1] && PIN(1, s) != 0)) }
            if
            :: res -> k++
            :: else ->
                seq[s] = wseq[s] + 1;
#ifndef MUT_NO_RECHECK
                pinned(s, res);
#else
                res = 0;
#endif
                if
                :: res -> seq[s] = wseq[s]; k++
                :: else ->
                    d_step { wseq[s] = wseq[s] + 1; next = (s + 1) % NS; got = s; k = 0; res = 0 }
                    break
                fi
            fi
        fi
    od;
    atomic { k = 0; s = 0; res = 0 }
}

/* reclaim_if_dead(rr); freed += 1 if this call freed registration rr. One step: the writer
 * is the only reclaimer here and no new reader claims a registration, so the pid load,
 * process_alive, the compare-exchange to RECLAIMING and the stores that free the registration
 * (pins, sleeping and registered bits, pid) touch words that nobody else reads or writes
 * meanwhile: a dead reader does nothing, a live one never looks at another's registration. */
inline reclaim_if_dead() {
    d_step {
        if
        :: owner[rr] == LIVE && rdead[rr] ->
            owner[rr] = RECLAIMING;
            PIN(rr, 0) = 0;
            PIN(rr, 1) = 0;
#if NS > 2
            PIN(rr, 2) = 0;
#endif
            held[rr] = NONE;                        /* the dead reader reads no more */
            sleeping[rr] = 0;                       /* Doorbell::clear_sleeper */
            registered[rr] = 0;                     /* mark_registered(false) */
            owner[rr] = 0;
            freed++
        :: else
        fi
    }
}

/* reclaim_dead_readers: every registration; the writer is the only reclaimer here, and it
 * is not waiting while it reclaims, so waking a waiting writer is left out. */
inline reclaim_dead_readers() {
    freed = 0;
    rr = 0;
    do
    :: rr == NR -> break
    :: else -> reclaim_if_dead(); rr++
    od;
    rr = 0
}

/* SlotWriter::sweep_sleepers, after a ring that found sleeping marks but woke nobody. */
inline sweep_sleepers() {
    d_step { mask0 = sleeping[0]; mask1 = sleeping[1] }
    /* each marked registration: one step, as in reclaim_if_dead */
    d_step {
        changed = 0;
        freed = 0;
        rr = 0;
        if
        :: mask0 && owner[0] == 0 -> sleeping[0] = 0; changed = 1
        :: mask0 && owner[0] != 0 -> reclaim_if_dead()
        :: else
        fi;
        rr = 1;
        if
        :: mask1 && owner[1] == 0 -> sleeping[1] = 0; changed = 1
        :: mask1 && owner[1] != 0 -> reclaim_if_dead()
        :: else
        fi;
        if :: freed -> changed = 1 :: else fi;
        rr = 0;
        mask0 = 0;
        mask1 = 0
    }
    if
    :: changed ->                                   /* Doorbell::nudge */
        bell++;
        d_step { queued[0] = 0; queued[1] = 0; assert(NO_STALE_SLEEPER) }
    :: else
    fi;
    d_step { changed = 0; freed = 0 }
}

/* Doorbell::ring (and SlotWriter::ring's sweep when a ring woke nobody). */
inline ring(F) {
#ifndef MUT_RING_EARLY
    d_step { bell++; rung = F }
    d_step { mask0 = sleeping[0]; mask1 = sleeping[1] }
#else
    d_step { mask0 = sleeping[0]; mask1 = sleeping[1] }
    d_step { bell++; rung = F }
#endif
    if
    :: mask0 || mask1 ->
        d_step {                                    /* futex_wake_all(bell) */
            woke = queued[0] + queued[1];
            queued[0] = 0;
            queued[1] = 0;
            mask0 = 0;
            mask1 = 0
        }
        if
        :: woke == 0 -> if :: sweep_sleepers() :: skip fi   /* at most every 250 ms */
        :: else
        fi
    :: else
    fi;
    d_step { woke = 0; mask0 = 0; mask1 = 0; assert(NO_STALE_SLEEPER) }   /* (c1) */
}

/* SlotWriter::acquire: try, reclaim and try again, then fail or (WhenFull::wait) wait for a
 * pin release on pin_release_epoch, re-checking for dead readers when the wait times out. */
inline acquire() {
    try_acquire();
    if
    :: got == NONE ->
        reclaim_dead_readers();
        if :: freed -> try_acquire() :: else fi
    :: else
    fi;
#if WAITFULL
    if
    :: got == NONE ->
        if
        :: skip                                     /* WhenFull::fail */
        :: do                                       /* WhenFull::wait */
           :: epoch_changed = 0;                 /* epoch = pin_release_epoch */
#ifndef MUT_WAIT_LATE
              writer_waiting = 1;
#endif
              try_acquire();
              if
              :: got == NONE ->
                  reclaim_dead_readers();
                  if :: freed -> try_acquire() :: else fi
              :: else
              fi;
#ifdef MUT_WAIT_LATE
              writer_waiting = 1;
#endif
              if
              :: got != NONE -> writer_waiting = 0; break
              :: else
              fi;
              atomic {                              /* futex_wait(pin_release_epoch, epoch) */
                  if :: !epoch_changed -> wqueued = 1 :: else fi
              }
              /* Woken, or the 20 ms re-check for dead readers. A live reader's pins are
               * released with a wake-up, so only a dead, unreclaimed one lets this time
               * out: a writer stuck here is a lost wake-up (c3). */
wait_epoch:   if
              :: !wqueued
              :: atomic { wqueued && ((owner[0] == LIVE && rdead[0]) || (owner[1] == LIVE && rdead[1])) -> wqueued = 0 }
              fi
           od
        fi
    :: else
    fi;
#endif
}

proctype Writer() {
    byte wseq[NS];      /* m_seq */
    byte latest = NONE; /* m_latest */
    byte next = 0;      /* m_next */
    byte F = 1;         /* m_published + 1 */
    byte abandons = 0;
    byte got, s, k, rr, freed, woke;
    bit res, changed, mask0, mask1;

    {
        do
        :: F > MAXF -> wdone = 1; break
        :: F <= MAXF || abandons < MAXAB ->         /* past MAXF only a loan to drop */
            acquire();
            if
            :: got == NONE -> skip                  /* PublishStatus::all_slots_held */
            :: else ->
                /* the frame's bytes (write() copies them in; a Loan fills them) */
                d_step { assert(NOT_HELD(got)); d1[got] = F }
                if
                :: abandons < MAXAB -> goto abandon /* a Loan dropped half filled */
                :: F <= MAXF
                fi;
                d_step { assert(NOT_HELD(got)); d2[got] = F }
                if
                :: abandons < MAXAB -> goto abandon /* a Loan dropped */
                :: F <= MAXF                        /* commit */
                fi;
                /* The frame number is stored while seq is odd: a snapshot taken in one step
                 * cannot see it before the even seq, so both are one step unless
                 * FINE_SNAPSHOT. */
#ifdef FINE_SNAPSHOT
                d_step { assert(NOT_HELD(got)); fn[got] = F }
                d_step { wseq[got] = wseq[got] + 1; seq[got] = wseq[got]; latest = got }
#else
                d_step { assert(NOT_HELD(got)); fn[got] = F; wseq[got] = wseq[got] + 1; seq[got] = wseq[got]; latest = got }
#endif
                ring(F);
                F++;
                goto done;
abandon:        abandons++;
#ifdef OLD_ABANDON
                /* as it was: a new even seq, the old frame number kept */
                d_step { wseq[got] = wseq[got] + 1; seq[got] = wseq[got] }
#else
                /* frame number 0 ("no frame"), then a new even seq */
#ifdef FINE_SNAPSHOT
                d_step { assert(NOT_HELD(got)); fn[got] = 0 }
                d_step { wseq[got] = wseq[got] + 1; seq[got] = wseq[got] }
#else
                d_step { assert(NOT_HELD(got)); fn[got] = 0; wseq[got] = wseq[got] + 1; seq[got] = wseq[got] }
#endif
#endif
done:           got = NONE
            fi
        od
    } unless { wdead }
}

/* ================================ readers ================================ */

/* Slot i's snapshot (SlotReader::snapshot) taken into account by newest() (after == NONE)
 * or oldest_after(after): the best so far is bs/bq/bf, found. */
#define CONSIDER(i, after) \
    if \
    :: sok && after == NONE && (!found || sf > bf) -> found = 1; bs = i; bq = sq; bf = sf \
    :: sok && after != NONE && sf > after && (!found || sf < bf) -> found = 1; bs = i; bq = sq; bf = sf \
    :: else \
    fi; \
    sok = 0; \
    sq = 0; \
    sf = 0

/* SlotReader::snapshot(i): seq (acquire), frame number, unchanged(), frame number not 0.
 * By default one step: the snapshot is linearizable (only the writer changes seq and frame
 * number, and only while seq is odd; a try_acquire that restores seq leaves the frame number
 * alone), so it reads what one atomic read of (seq, frame number) at its first load would.
 * FINE_SNAPSHOT models its three loads as three steps instead. */
inline snap(i, after) {
#ifndef FINE_SNAPSHOT
    d_step {
        sq = seq[i];
        sf = fn[i];
        sok = (sq != 0 && (sq % 2) == 0 && sf != 0);
        CONSIDER(i, after)
    }
#else
    d_step { sq = seq[i]; sok = (sq != 0 && (sq % 2) == 0) }
    if
    :: sok ->
        sf = fn[i];
        d_step { sok = (seq[i] == sq && sf != 0); CONSIDER(i, after) }
    :: else -> d_step { sq = 0 }
    fi
#endif
}

/* newest() (after == NONE) or oldest_after(after), slot by slot; found must be 0 before. */
inline scan(after) {
    snap(0, after);
    snap(1, after);
#if NS > 2
    snap(2, after)
#endif
}

/* A frame is accepted: (d), then record_returned(). */
#ifdef LATEST_ORDER
#define CHECK_LATEST_ORDER assert(next_mode || bf >= hi[r])
#else
#define CHECK_LATEST_ORDER skip
#endif
#define ACCEPT \
    assert(!next_mode || bf > hi[r]); \
    CHECK_LATEST_ORDER; \
    if :: bf > last -> last = bf :: else fi; \
    if :: bf > hi[r] -> hi[r] = bf :: else fi

/* ReaderRegistration::unpin(s): pin count down; wake a waiting writer. */
inline unpin(s) {
#if WAITFULL
    d_step { PIN(r, s)--; held[r] = NONE }
    if
    :: writer_waiting ->
        epoch_changed = 1;                          /* pin_release_epoch += 1 */
        wqueued = 0                                 /* futex_wake_all(pin_release_epoch) */
    :: else
    fi
#else
    /* writer_waiting is never set: the load that follows is left out */
    d_step { PIN(r, s)--; held[r] = NONE }
#endif
}

proctype Reader(byte r) {
    byte last;          /* m_last_returned */
    byte gen;           /* the bell read before the attempt (generation()) */
    byte attempt, sq, sf, bs, bq, bf, x1, x2, timeouts = RTIMEOUT;
    byte lcalls;        /* latest() calls made, when LCALLS bounds them */
    bit next_mode, pin_mode, found, sok, ok, exhausted;

    {
        /* ReaderRegistration: claim the registration, then mark it registered. */
        atomic { owner[r] == 0 -> owner[r] = LIVE }
        registered[r] = 1;
        /* attach(): frames already there are history, except the newest */
        scan(NONE);
        d_step {
            if :: found -> last = bf - 1 :: else -> last = 0 fi;
            hi[r] = last;
            found = 0; bs = 0; bq = 0; bf = 0
        }

        /* between calls a reader may stay idle for good */
end_call:
        do
        :: /* one call: latest() or next() (which reads the bell first), held as a view or
            * copy, or as a pin */
            atomic {
                if
                :: (MODES(r) & LATEST_VIEW) && LATEST_LEFT -> next_mode = 0; pin_mode = 0; COUNT_LATEST
                :: (MODES(r) & LATEST_PIN) && LATEST_LEFT -> next_mode = 0; pin_mode = 1; COUNT_LATEST
                :: MODES(r) & NEXT_VIEW -> next_mode = 1; pin_mode = 0
                :: MODES(r) & NEXT_PIN -> next_mode = 1; pin_mode = 1
                fi;
#ifndef MUT_GEN_LATE
                if :: next_mode -> gen = bell :: else fi
#endif
            }
            do
            :: /* which frame: newest(), or next_ref() */
                if
                :: !next_mode -> scan(NONE)
                :: else ->
                    scan(last);
#if FALLBACK
                    if
                    :: !found ->                    /* none after the last returned */
                        scan(NONE);
                        d_step {
                            if
                            :: FALLBACK_TAKEN -> last = bf - 1
                            :: else -> found = 0
                            fi
                        }
                    :: else
                    fi
#endif
                fi;
                if
                :: !found -> break
                :: else
                fi;
                /* hold it */
                if
                :: !pin_mode ->
                    x1 = d1[bs];
                    x2 = d2[bs];
                    d_step {
#ifndef MUT_NO_UNCHANGED
                        ok = (seq[bs] == bq);       /* unchanged() */
#else
                        ok = 1;
#endif
                        if
                        :: ok -> ACCEPT; assert(x1 == bf && x2 == bf)   /* (a), view/copy */
                        :: else
                        fi;
                        x1 = 0;
                        x2 = 0
                    }
                :: else ->
                    PIN(r, bs)++;
                    d_step {
                        ok = (seq[bs] == bq);
                        if
                        :: ok ->
                            ACCEPT;
                            /* The Frame's views, read while it is pinned, until the Frame is
                             * dropped (unpin). Read here in the same step: (b) asserts that the
                             * writer does not touch them while held[r] is set. */
                            assert(d1[bs] == bf && d2[bs] == bf);   /* (a), pin */
                            held[r] = bs
                        :: else
                        fi
                    }
                    unpin(bs)
                fi;
                if
                :: ok -> break
                :: else ->
                    d_step { found = 0; bs = 0; bq = 0; bf = 0; attempt++ }
                    if
                    :: attempt == HOLD -> exhausted = 1; break
                    :: else
                    fi
                fi
            od;
            /* next() found nothing: sleep on the doorbell (Doorbell::wait) */
            if
            :: next_mode && !ok ->
#ifdef MUT_GEN_LATE
                gen = bell;
#endif
                sleeping[r] = 1;
                atomic {                            /* futex_wait(bell, gen) */
                    if
                    :: bell == gen ->
                        queued[r] = 1;
                        seen[r] = gen;
                        /* (c2): found nothing although a frame it never returned was rung */
                        assert(exhausted || rung <= hi[r])
                    :: else
                    fi
                }
end_sleep:      if
                :: !queued[r]
                :: atomic { queued[r] && timeouts > 0 -> queued[r] = 0; timeouts-- }
                fi;
                d_step { seen[r] = 0; sleeping[r] = 0 }
            :: else
            fi;
            d_step {
                gen = 0; attempt = 0; found = 0; bs = 0; bq = 0; bf = 0; ok = 0; exhausted = 0;
                next_mode = 0; pin_mode = 0
            }
        od
    } unless { rdead[r] }
}

/* Kill processes at any step. A killer that never runs is a run without that crash, so no
 * "no crash" branch is needed (it would double the states); the killer is always enabled,
 * so (c3) is checked in runs after the kill, and with RCRASH=0 for runs without one. */
#if RCRASH
active proctype KillReader() {
end: atomic { rdead[VICTIM] = 1; queued[VICTIM] = 0 }   /* its pins and marks stay behind */
}
#endif
#if WCRASH
active proctype KillWriter() {
end: atomic { wdead = 1; wqueued = 0 }
}
#endif

/* (c3): when nothing can move, the writer is dead (its readers find that out within their
 * 100 ms slice), or it is done and no reader sleeps on an old bell value. */
active proctype Quiescence() {
end: timeout -> assert(wdead || (wdone && NO_STALE_SLEEPER))
}

init {
    atomic {
        held[0] = NONE;
        held[1] = NONE;
        run Writer();
        run Reader(0);
#ifndef ONE_READER
        run Reader(1)
#endif
    }
}
