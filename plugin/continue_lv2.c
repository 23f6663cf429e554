/* continue_lv2.c — Statewave Continue: the composer (dsp/engines/compose.c) as an LV2 MIDI plugin that
 * listens to what you play and, when you stop, continues it out of its MIDI port.
 *
 * Ports:
 *   0 midi_in      atom in   MIDI, time:Position (speed, tempo, meter), patch:Set / patch:Get of
 *                            the model-file property
 *   1 midi_out     atom out  MIDI: what came in (well-formed messages), then the continuation
 *   2 notify       atom out  patch:Set replies: the model file now in use
 *   3 enabled      control   lv2:enabled: 0 = pass MIDI through, never continue
 *   4 wait         control   seconds of silence (no key held, no note or pedal event) before it continues
 *   5 trigger      control   a rising edge continues now
 *   6 bars         control   stop after this many bars (0 = until you play again)
 *   7 temperature  control   0..2
 *   8 top_p        control   0.1..1
 *   9 seed         control   integer; the RNG restarts from it when a continuation starts
 *  10 key_lock     control   0 = off, 1 = auto: new notes in the key estimated from what was played
 *  11 low, 12 high control   range of new notes (MIDI notes)
 *  13 max_voices   control   0 = no limit
 *  14 density      control   most new notes in any second, 0 = no limit
 *  15 transport    control   1 = follow the host transport (default), 0 = ignore it
 *  16 active       out       1 while continuing
 *  17 key          out       key of the latest continuation: -1 none, 0..11 C..B major, 12..23 minor
 *
 * Behaviour. Listening: every played note-on, note-off and sustain-pedal change is fed to the
 * composer at the plugin's running time (frames since activation; sw_composer_note_on/off/pedal),
 * and sw_composer_advance runs at the end of each block, so a long pause costs one net step per
 * second as it happens. Continuing: when the player has been silent for `wait` (or on a trigger),
 * the composer's clock is brought to that frame and its seed restarted, and each block draws
 * events (sw_composer_next) until its clock passes the block's end; every note-on / note-off is
 * written at the exact frame of its clock time (10 ms steps at the host rate), on the channel
 * last played. A continuation ends at the frame a note-on is played (the player's note passes
 * through after the plugin's note-offs), after `bars` bars at the host tempo when it started
 * (time:beatsPerMinute, time:beatsPerBar; 120 bpm 4/4 when the host gives none), when the host
 * transport stops (time:speed 0; nothing is generated while it stays stopped, unless `transport`
 * is off, for hosts whose transport never rolls), at all-notes-off / all-sound-off, when
 * disabled, or when a new model takes over. Then a note-off goes out for every note the plugin
 * started, and nothing it did not start is ever ended by it. A new continuation needs new playing (or the trigger).
 * Frames and composer times depend only on the events' frames, never on how the host cuts the
 * stream into blocks, so the same playing, seed and settings give the same continuation.
 *
 * The model (<bundle>/compose.safetensors, or a user's file through the model-file property) is
 * loaded and its composer built by the plugin base (lv2_base.h): at instantiation, or in the
 * worker for a patch:Set or a state restore; it takes over at the start of the next block (a
 * continuation in progress ends first), and the old engine is freed in the worker. Everything
 * reachable from run() works in buffers made at instantiation or in the worker.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <lv2/atom/util.h>
#include <lv2/midi/midi.h>

#include "lv2_base.h"

#define CONT_SEED_MAX 16777215.0f /* largest integer a float port holds exactly (2^24 - 1) */
#define CONT_KEY_TAU_S 60.0       /* played notes count in the key estimate with this time constant */
/* Composer draws per run() at most: bounds the audio thread's work for any block size (a model
 * that writes many notes at one instant is cut at 64 per 10 ms step by the composer itself; at
 * most a few hundred draws fit the longest host blocks). Draws over the cap wait for the next
 * block, where their events are written at its first frame. */
#define CONT_MAX_DRAWS 2048
/* Bytes of one 3-byte MIDI event in an atom sequence (event header + padded body). */
#define CONT_EV_BYTES ((uint32_t)(sizeof(LV2_Atom_Event) + 8))

/* One loaded model and its composer, created and freed off the audio thread. */
typedef struct {
    sw_lv2_engine e;    /* model, path (lv2_base.h); first member */
    sw_composer *comp;  /* owned */
    uint64_t origin;    /* running frame of the composer's clock 0 (set by reset) */
} engine;

typedef struct {
    sw_lv2 b; /* first member */

    /* ports */
    const LV2_Atom_Sequence *midi_in;
    LV2_Atom_Sequence *midi_out;
    const float *enabled, *wait, *trigger, *bars, *temperature, *top_p, *seed, *key_lock;
    const float *low, *high, *max_voices, *density, *transport;
    float *active_port, *key_port;

    /* instantiation class */
    LV2_Atom_Forge out_forge;     /* writes midi_out (audio thread) */

    /* audio thread */
    uint64_t now;                 /* running frame of the current block's first frame */
    uint32_t block_n;             /* frames of the current block */
    uint32_t pos;                 /* frame in the block events are being handled at */
    uint32_t last_out;            /* frame of the latest event written to midi_out */
    int draws;                    /* composer draws in this block (CONT_MAX_DRAWS) */
    bool out_ok;                  /* midi_out is open for writing in this block */
    LV2_Atom_Forge_Frame out_seq; /* its sequence frame */

    uint64_t held[16][2];         /* [channel][key / 64] keys down */
    int last_ch;                  /* channel of the latest played note-on */
    uint64_t last_input;          /* running frame of the latest played note / pedal event */
    bool armed;                   /* something was played since the last continuation started */
    bool rolling;                 /* host transport rolls (true until a time:speed 0 says otherwise) */
    bool trig_prev;               /* trigger control in the previous block */
    bool trig_pending;            /* a rising edge waits to start a continuation */
    double bpm, bpb;              /* host tempo and meter */

    sw_compose_keys keys;         /* the played notes, in running frames, for the key estimate */
    int key;                      /* latest estimate: -1, 0..11 major, 12..23 minor */

    /* the continuation */
    bool continuing;
    uint64_t stop_at;             /* running frame after `bars` bars (UINT64_MAX: none) */
    int out_ch;                   /* channel the continuation plays on */
    uint8_t gen_on[128];          /* [pitch] the plugin's note sounds at the output */
    uint8_t comp_on[128];         /* [pitch] the composer drew a note-on still open in its view */
    uint8_t off_pending[128];     /* [pitch] 1 + channel of a note-off that did not fit in midi_out:
                                   * written first in the next block; 0 = none */
    uint16_t scale;               /* scale mask in force (0: any) */
    sw_compose_limits applied;    /* limits as last set on the composer */
} cont;

static const size_t ports[] = {
    offsetof(cont, midi_in),     offsetof(cont, midi_out), offsetof(cont, b.notify),
    offsetof(cont, enabled),     offsetof(cont, wait),     offsetof(cont, trigger),
    offsetof(cont, bars),        offsetof(cont, temperature), offsetof(cont, top_p),
    offsetof(cont, seed),        offsetof(cont, key_lock), offsetof(cont, low),
    offsetof(cont, high),        offsetof(cont, max_voices), offsetof(cont, density),
    offsetof(cont, transport),   offsetof(cont, active_port), offsetof(cont, key_port),
};

/* Instantiation class. */
static bool init(sw_lv2 *b, const LV2_Descriptor *desc)
{
    (void)desc;
    cont *self = (cont *)b;
    b->n_in = b->n_out = 0; /* no audio: sw_lv2_render is never used */
    if (b->map)
        lv2_atom_forge_init(&self->out_forge, b->map);
    return true;
}

/* Worker / instantiation class. */
static void destroy(sw_lv2_engine *be)
{
    sw_composer_destroy(((engine *)be)->comp);
}

/* Worker / instantiation class: a composer on the engine's model, warmed up so that the audio
 * thread's first continuation does not pay for first-touch page faults of its freshly allocated
 * state; reset() rewinds it before it is heard. */
static bool build(const sw_lv2 *b, sw_lv2_engine *be, char *err, size_t errlen)
{
    (void)b;
    engine *e = (engine *)be;
    char msg[256] = "";
    sw_status s = sw_composer_create(be->model, 1, &e->comp, msg, sizeof msg);
    if (s != SW_OK || !e->comp)
        return sw_lv2_build_failed(be, "a composer", 0.0, s, msg, err, errlen);
    sw_composer_warm_up(e->comp);
    return true;
}

/* temperature, top-p */
static const sw_lv2_control ctl[] = {{offsetof(cont, temperature), 0.0f, 2.0f, 1.0f},
                                     {offsetof(cont, top_p), 0.1f, 1.0f, 0.95f}};

/* [RT] */
static void set_controls(sw_lv2_engine *e, const float v[SW_LV2_NCTL])
{
    sw_composer_set_temperature(((engine *)e)->comp, v[0]);
    sw_composer_set_top_p(((engine *)e)->comp, v[1]);
}

/* [RT]: a composer that has heard nothing, its clock 0 at the current block's start. */
static void reset(sw_lv2 *b, sw_lv2_engine *be, const float v[SW_LV2_NCTL])
{
    engine *e = (engine *)be;
    sw_composer_reset(e->comp);
    set_controls(be, v);
    e->origin = ((cont *)b)->now;
}

/* ------------------------------------------------------------- helpers -- */

/* [RT]: the engine heard. */
static engine *cur(cont *self)
{
    return (engine *)self->b.cur;
}

/* [RT]: seconds on the composer's time line of running frame `at`. */
static double comp_time(cont *self, uint64_t at)
{
    const engine *e = cur(self);
    return at <= e->origin ? 0.0 : (double)(at - e->origin) / self->b.rate;
}

/* [RT]: running frame of the composer's clock. */
static uint64_t clock_frame(cont *self)
{
    const engine *e = cur(self);
    return e->origin + (uint64_t)llround((double)sw_composer_clock(e->comp) * SW_COMPOSE_STEP_S * self->b.rate);
}

/* [RT]: any key down on any channel. */
static bool keys_down(const cont *self)
{
    uint64_t any = 0;
    for (int c = 0; c < 16; c++)
        any |= self->held[c][0] | self->held[c][1];
    return any != 0;
}

/* [RT]: the MIDI message is complete and well formed: a status byte, then exactly as many data
 * bytes (< 0x80) as the status takes; system exclusive from F0 to F7. Anything else is dropped:
 * passing it on could confuse the instrument after us. */
static bool midi_valid(const uint8_t *m, uint32_t size)
{
    /* bytes a status takes: channel messages by their high nibble (8..E), system messages by
     * their low nibble (0: undefined, F7 alone, or F0, which is checked apart) */
    static const uint8_t chan_len[7] = {3, 3, 3, 3, 2, 2, 3};
    static const uint8_t sys_len[16] = {0, 2, 3, 2, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1};
    if (size == 0 || !(m[0] & 0x80))
        return false;
    uint32_t data_end = size; /* data bytes are m[1 .. data_end - 1] */
    if (m[0] == 0xF0) {
        if (size < 2 || m[size - 1] != 0xF7)
            return false;
        data_end = size - 1;
    } else {
        const uint32_t want = m[0] < 0xF0 ? chan_len[(m[0] >> 4) - 8] : sys_len[m[0] & 0x0F];
        if (want == 0 || size != want)
            return false;
    }
    for (uint32_t i = 1; i < data_end; i++)
        if (m[i] & 0x80)
            return false;
    return true;
}

/* [RT]: one event on midi_out at frame `frame` of the block (never before the latest one, so the
 * sequence stays in time order), if it fits with `reserve` bytes left over. */
static bool put_midi(cont *self, uint32_t frame, const uint8_t *msg, uint32_t size, uint32_t reserve)
{
    if (!self->out_ok)
        return false;
    LV2_Atom_Forge *f = &self->out_forge;
    const uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + lv2_atom_pad_size(size);
    if ((uint64_t)f->offset + need + reserve > f->size)
        return false;
    if (frame < self->last_out)
        frame = self->last_out;
    if (frame >= self->block_n && self->block_n)
        frame = self->block_n - 1;
    lv2_atom_forge_frame_time(f, frame);
    lv2_atom_forge_atom(f, size, self->b.uris.midi_MidiEvent);
    lv2_atom_forge_write(f, msg, size);
    self->last_out = frame;
    return true;
}

/* [RT]: the plugin's note-off for `pitch` at `frame`; kept for the next block if it does not fit. */
static void note_off_out(cont *self, uint32_t frame, int pitch)
{
    const uint8_t msg[3] = {(uint8_t)(0x80 | self->out_ch), (uint8_t)pitch, 64};
    self->gen_on[pitch] = 0;
    if (!put_midi(self, frame, msg, 3, 0))
        self->off_pending[pitch] = (uint8_t)(1 + self->out_ch);
}

/* --------------------------------------------------------- continuing -- */

/* [RT]: the musician's limits from the controls (and the key locked at the start), pushed into
 * the composer when they changed. */
static void apply_limits(cont *self)
{
    sw_compose_limits l;
    sw_compose_limits_default(&l);
    int lo = (int)lrintf(sw_lv2_ctl(self->low, 0.0f, 127.0f, 21.0f));
    int hi = (int)lrintf(sw_lv2_ctl(self->high, 0.0f, 127.0f, 108.0f));
    l.low = lo < hi ? lo : hi; /* a crossed range means the notes between them */
    l.high = lo < hi ? hi : lo;
    l.max_voices = (int)lrintf(sw_lv2_ctl(self->max_voices, 0.0f, 16.0f, 0.0f));
    l.max_notes_per_s = (float)lrintf(sw_lv2_ctl(self->density, 0.0f, 32.0f, 0.0f));
    l.scale = self->scale;
    if (memcmp(&l, &self->applied, sizeof l) != 0) {
        sw_composer_set_limits(cur(self)->comp, &l);
        self->applied = l;
    }
}

/* [RT]: start a continuation at running frame `at` (inside the current block). */
static void start(cont *self, uint64_t at)
{
    sw_composer *c = cur(self)->comp;
    sw_composer_wait_until(c, comp_time(self, at));
    sw_composer_set_seed(c, (uint64_t)lrintf(sw_lv2_ctl(self->seed, 0.0f, CONT_SEED_MAX, 1.0f)));
    self->key = sw_compose_keys_estimate(&self->keys, at);
    self->scale = sw_lv2_ctl(self->key_lock, 0.0f, 1.0f, 1.0f) >= 0.5f ? sw_compose_key_scale(self->key) : 0;
    memset(&self->applied, 0xff, sizeof self->applied); /* force the limits in */
    apply_limits(self);
    const int bars = (int)lrintf(sw_lv2_ctl(self->bars, 0.0f, 64.0f, 4.0f));
    const double bar_s = self->bpb * 60.0 / self->bpm;
    self->stop_at = bars > 0 ? at + (uint64_t)llround(bars * bar_s * self->b.rate) : UINT64_MAX;
    self->out_ch = self->last_ch;
    memset(self->comp_on, 0, sizeof self->comp_on);
    self->continuing = true;
    self->armed = false;
}

/* [RT]: end the continuation at frame `frame` of the block: a note-off for every note the plugin
 * started, and the composer told that its notes ended (so its next listening starts from what is
 * heard). */
static void stop(cont *self, uint32_t frame)
{
    if (!self->continuing)
        return;
    sw_composer *c = cur(self)->comp;
    for (int p = 0; p < 128; p++) {
        if (self->gen_on[p])
            note_off_out(self, frame, p);
        if (self->comp_on[p] && sw_composer_sounding(c, p))
            sw_composer_feed(c, 128 + p);
        self->comp_on[p] = 0;
    }
    self->continuing = false;
}

/* [RT]: draw events while the composer's clock is before running frame `end`, each note written
 * at its clock's frame. */
static void generate(cont *self, uint64_t end, uint32_t from)
{
    sw_composer *c = cur(self)->comp;
    uint64_t t = clock_frame(self);
    while (t < end && self->draws < CONT_MAX_DRAWS) {
        sw_compose_event ev = sw_composer_next(c);
        self->draws++;
        if (ev.kind == SW_COMPOSE_SHIFT) {
            t = clock_frame(self);
            continue;
        }
        if (ev.kind != SW_COMPOSE_NOTE_ON && ev.kind != SW_COMPOSE_NOTE_OFF)
            continue;
        const int p = ev.pitch;
        uint32_t frame = t > self->now + from ? (uint32_t)(t - self->now) : from;
        if (ev.kind == SW_COMPOSE_NOTE_ON) {
            self->comp_on[p] = 1;
            if (self->gen_on[p]) /* struck again: end ours first, as the composer does */
                note_off_out(self, frame, p);
            int n_on = 0;
            for (int q = 0; q < 128; q++)
                n_on += self->gen_on[q] || self->off_pending[q];
            /* a note-on only with room left for the note-offs of every note then sounding */
            const uint8_t msg[3] = {(uint8_t)(0x90 | self->out_ch), (uint8_t)p, (uint8_t)ev.velocity};
            if (put_midi(self, frame, msg, 3, CONT_EV_BYTES * (uint32_t)(n_on + 1)))
                self->gen_on[p] = 1;
        } else {
            self->comp_on[p] = 0;
            if (self->gen_on[p]) /* only notes the plugin started */
                note_off_out(self, frame, p);
        }
    }
}

/* [RT]: may a continuation run now (transport, enable, an output to write to)? */
static bool may_play(const cont *self)
{
    const bool follow = sw_lv2_ctl(self->transport, 0.0f, 1.0f, 1.0f) >= 0.5f;
    return (self->rolling || !follow) && self->out_ok && sw_lv2_ctl(self->enabled, 0.0f, 1.0f, 1.0f) >= 0.5f;
}

/* [RT]: frames [from, to) of the block with no input event among them. */
static void render(sw_lv2 *b, uint32_t from, uint32_t to)
{
    cont *self = (cont *)b;
    const uint64_t a = self->now + from, z = self->now + to;
    self->pos = to;
    if (!self->continuing && may_play(self)) {
        const uint64_t wait = (uint64_t)llround(sw_lv2_ctl(self->wait, 0.5f, 30.0f, 2.0f) * b->rate);
        uint64_t at = UINT64_MAX;
        if (self->trig_pending)
            at = a;
        else if (self->armed && !keys_down(self) && self->last_input + wait < z)
            at = self->last_input + wait > a ? self->last_input + wait : a;
        if (at != UINT64_MAX)
            start(self, at);
    }
    self->trig_pending = false; /* a trigger acts at the block's start or not at all */
    if (!self->continuing)
        return;
    if (self->stop_at < z) {
        generate(self, self->stop_at, from);
        stop(self, self->stop_at > a ? (uint32_t)(self->stop_at - self->now) : from);
        return;
    }
    generate(self, z, from);
}

/* [RT]: one MIDI message from midi_in, at frame self->pos of the block. */
static void midi(sw_lv2 *b, const uint8_t *msg, uint32_t size)
{
    cont *self = (cont *)b;
    if (!midi_valid(msg, size))
        return; /* malformed: dropped, neither heard nor passed on */
    const uint64_t at = self->now + self->pos;
    const int ch = msg[0] & 0x0F;
    sw_composer *c = cur(self)->comp;
    const double t = comp_time(self, at);
    const LV2_Midi_Message_Type type = size == 3 ? sw_lv2_midi_type(msg) : LV2_MIDI_MSG_INVALID;
    const int key = size == 3 ? msg[1] : 0; /* the types read below all have 3 bytes */
    switch (type) {
    case LV2_MIDI_MSG_NOTE_ON:
        stop(self, self->pos); /* the player is back: the continuation makes room */
        self->held[ch][key >> 6] |= 1ull << (key & 63);
        sw_compose_keys_note_on(&self->keys, key, at);
        sw_composer_note_on(c, t, key, msg[2]);
        self->last_ch = ch;
        self->last_input = at;
        self->armed = true;
        break;
    case LV2_MIDI_MSG_NOTE_OFF:
        if (self->held[ch][key >> 6] & (1ull << (key & 63))) {
            self->held[ch][key >> 6] &= ~(1ull << (key & 63));
            sw_compose_keys_note_off(&self->keys, key, at);
            sw_composer_note_off(c, t, key);
            self->last_input = at;
        }
        break;
    case LV2_MIDI_MSG_CONTROLLER:
        if (key == LV2_MIDI_CTL_SUSTAIN) {
            sw_composer_pedal(c, t, msg[2] >= 64);
            self->last_input = at;
        } else if (key == LV2_MIDI_CTL_ALL_NOTES_OFF || key == LV2_MIDI_CTL_ALL_SOUNDS_OFF) {
            /* hosts send these on every channel when they stop or panic: this channel's keys
             * are up, and a continuation ends */
            stop(self, self->pos);
            for (int k = 0; k < 128; k++)
                if (self->held[ch][k >> 6] & (1ull << (k & 63))) {
                    sw_compose_keys_note_off(&self->keys, k, at);
                    sw_composer_note_off(c, t, k);
                }
            self->held[ch][0] = self->held[ch][1] = 0;
            if (key == LV2_MIDI_CTL_ALL_SOUNDS_OFF)
                sw_composer_pedal(c, t, 0);
        }
        break;
    default:
        break;
    }
    put_midi(self, self->pos, msg, size, 0);
}

/* [RT]: time:Position: transport, tempo, meter. */
static void position(sw_lv2 *b, double s, double t, double m)
{
    cont *self = (cont *)b;
    if (t >= 1.0 && t <= 1000.0)
        self->bpm = t;
    if (m >= 1.0 && m <= 64.0)
        self->bpb = m;
    if (s == s) { /* not NaN */
        self->rolling = s > 0.0;
        if (!self->rolling && sw_lv2_ctl(self->transport, 0.0f, 1.0f, 1.0f) >= 0.5f)
            stop(self, self->pos);
    }
}

/* Instantiation class: nothing played, transport rolling at 120 bpm 4/4 until the host says
 * otherwise; the running time starts again at 0. Notes the plugin left sounding when it was
 * deactivated get their note-offs at the start of the first block (run() cannot be asked for
 * a last block before deactivation). */
static void activate(sw_lv2 *b)
{
    cont *self = (cont *)b;
    self->now = 0;
    memset(self->held, 0, sizeof self->held);
    self->last_ch = 0;
    self->last_input = 0;
    self->armed = false;
    self->rolling = true;
    self->trig_prev = self->trig_pending = false;
    self->bpm = 120.0;
    self->bpb = 4.0;
    sw_compose_keys_init(&self->keys, b->rate, CONT_KEY_TAU_S);
    self->key = -1;
    self->continuing = false;
    for (int p = 0; p < 128; p++)
        if (self->gen_on[p])
            self->off_pending[p] = (uint8_t)(1 + self->out_ch);
    memset(self->gen_on, 0, sizeof self->gen_on);
    memset(self->comp_on, 0, sizeof self->comp_on);
    self->scale = 0;
    memset(&self->applied, 0xff, sizeof self->applied);
}

/* [RT] */
static void run(sw_lv2 *b, uint32_t n)
{
    cont *self = (cont *)b;
    self->block_n = n;
    self->pos = 0;
    self->last_out = 0;
    self->draws = 0;
    self->out_ok = self->midi_out && b->map && sw_lv2_seq_begin(&self->out_forge, &self->out_seq, self->midi_out);
    /* note-offs that did not fit in the last block go first */
    for (int p = 0; p < 128; p++)
        if (self->off_pending[p]) {
            const uint8_t msg[3] = {(uint8_t)(0x80 | (self->off_pending[p] - 1)), (uint8_t)p, 64};
            if (put_midi(self, 0, msg, 3, 0))
                self->off_pending[p] = 0;
        }
    /* a new model takes over now (reset when it arrived); a continuation in progress ends */
    if (b->next) {
        stop(self, 0);
        sw_lv2_finish_transition(b);
        memset(&self->applied, 0xff, sizeof self->applied);
    }
    const bool trig = sw_lv2_ctl(self->trigger, 0.0f, 1.0f, 0.0f) >= 0.5f;
    if (trig && !self->trig_prev)
        self->trig_pending = true;
    self->trig_prev = trig;
    if (self->continuing && !may_play(self))
        stop(self, 0);
    if (self->continuing)
        apply_limits(self);

    sw_lv2_run_events(b, self->midi_in, n);

    if (!self->continuing) /* a long pause costs one step per second, as it happens */
        sw_composer_advance(cur(self)->comp, comp_time(self, self->now + n));
    if (self->active_port)
        *self->active_port = self->continuing ? 1.0f : 0.0f;
    if (self->key_port)
        *self->key_port = (float)self->key;
    if (self->midi_out && b->map)
        sw_lv2_seq_end(&self->out_forge, &self->out_seq, self->midi_out, self->out_ok);
    self->out_ok = false;
    self->now += n;
}

static const sw_lv2_ops ops = {
    .log_name = "statewave continue",
    .model_uri = SW_CONTINUE__model,
    .no_map_warning = "host gave no urid:map: no MIDI in or out, the plugin does nothing",
    .min_rate = 8000.0,
    .max_rate = 192000.0,
    SW_LV2_DEFAULT_MODEL("compose"),
    SW_LV2_OPS_BY_NAME(cont),
    SW_LV2_CTL_TABLE,
    SW_LV2_MIDI_BY_NAME,
    .position = position,
};

SW_LV2_FAMILY_OF_ONE(sw_continue_lv2_descriptor, SW_CONTINUE_URI, ops)
