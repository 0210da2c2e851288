/* A test-and-set spinlock; enough for two to eight CPUs. */
#ifndef XEN_SPINLOCK_H
#define XEN_SPINLOCK_H
typedef struct { volatile int locked; } spinlock_t;
#define SPIN_LOCK_UNLOCKED { 0 }
static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (l->locked)
            asm volatile("pause" ::: "memory");
}
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }
#endif
