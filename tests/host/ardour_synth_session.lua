-- ardour_synth_session.lua — the Statewave neural instrument in a real DAW: Ardour 7 headless
-- (ardour7-lua). Driven by tests/host/test_ardour_synth.sh, which runs the phases below in
-- separate ardour7-lua processes and checks the rendered audio.
--
-- env: PHASE       create | process | reload
--      SESS_DIR    session folder (create: must not exist yet)
--      NSAMP       samples to render (the MIDI region's length)
--      NOTES       the score: "on_sample:off_sample:key:velocity,..." (48 kHz samples)
--      OUT         folder for the rendered files (synth.wav, synth_reloaded.wav)
--      PLUGIN_URI, PRESET (label; "" = none), LEVEL (output level in dB set after the preset)
-- Phases (each prints "STEP ..."; any failure prints "FAIL: ..." and exits 1):
--  create:  Dummy backend, new 48 kHz session, one MIDI track "Synth"; a MIDI region is made
--           by recording: Ardour's "x-virtual-keyboard" MIDI port is connected to the track
--           input and one note is written to it while the track records NSAMP samples (headless
--           Lua can neither import a .mid nor create an empty MIDI region: Editor:do_import is
--           GUI-only, and no source/region factory is bound). The recorded note is then removed
--           and the score's notes are put in with the MidiModel note-diff command API
--           (new_note_diff_command, LuaAPI.new_noteptr, apply_command); save; close
--  process: load; insert the instrument by URI, load the preset, set the level; render "synth"
--           with Track:bounce_range through the track's processors; save; quit
--  reload:  load; the plugin, its URI and its control values must be back; render
--           "synth_reloaded"; quit
-- As in ardour_session.lua (the denoiser's Ardour test), a phase that has bounced ends with
-- save + AudioEngine:stop() + os.exit instead of close_session() (Ardour 7.3 can deadlock in
-- Graph::drop_threads when closing after a bounce), and the reload is a new process.
local PHASE  = assert(os.getenv("PHASE"), "PHASE")
local DIR    = assert(os.getenv("SESS_DIR"), "SESS_DIR")
local NSAMP  = assert(tonumber(os.getenv("NSAMP")), "NSAMP")
local OUT    = assert(os.getenv("OUT"), "OUT")
local URI    = os.getenv("PLUGIN_URI") or "https://statewave.dev/plugins/synth"
local PRESET = os.getenv("PRESET") or ""
local LEVEL  = tonumber(os.getenv("LEVEL") or "")
local NAME   = "swsynth"
local SR     = 48000
local TRS    = ARDOUR.TransportRequestSource.TRS_UI
local NOGRP  = PBD.GroupControlDisposition.NoGroup
-- parameter numbers as Ardour counts them (input control ports in index order)
local P = { timbre = 0, harmonic_gain = 1, noise_gain = 2, pitch_shift = 3, reverb_mix = 4, level = 5 }

local function die(m) print("FAIL: " .. m); os.exit(1) end
local function sh(cmd)
  if not os.execute(cmd) then die("command failed: " .. cmd) end
end
local function quit()
  AudioEngine:stop(false)
  os.exit(0)
end
-- Wait until cond() holds, polling every 50 ms; die after `limit` s of wall-clock time. The
-- recording is timed by the engine, not the clock: on a loaded machine the Dummy backend's
-- cycles and the transport requests run late, so a fixed sleep could stop a take short.
local function wait_for(what, limit, cond)
  local t0 = os.time()
  local polls = 0
  while not cond() do
    if os.time() - t0 > limit then die(string.format("timed out after %d s waiting for %s", limit, what)) end
    sleep(0.05)
    polls = polls + 1
  end
  print(string.format("STEP %s (after %d polls of 50 ms)", what, polls))
end
-- generous bounds for the waits (the take is seconds long; the test's timeout is 90 s a phase)
local WAIT_SHORT, WAIT_TAKE = 20, 60

if not AudioEngine:set_backend("None (Dummy)", "", "") then die("set_backend") end
AudioEngine:set_device_name("Silence")

local function the_region(tr)
  for r in tr:playlist():region_list():iter() do return r end
  return nil
end

if PHASE == "create" then
  local NOTES = assert(os.getenv("NOTES"), "NOTES")
  if not create_session(DIR, NAME, SR) then die("create_session") end
  if Session:sample_rate() ~= SR then die("session rate " .. Session:sample_rate()) end
  local tr = Session:new_midi_track(ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
                                    ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2), false, ARDOUR.PluginInfo(),
                                    nil, nil, 1, "Synth", ARDOUR.PresentationInfo.max_order,
                                    ARDOUR.TrackMode.Normal, true):front()
  if tr:isnil() then die("new_midi_track") end
  print("STEP session", Session:name(), Session:sample_rate(), "MIDI track", tr:name())
  -- the virtual keyboard's output port (an Ardour-owned async MIDI port) feeds the track
  local vk = nil
  local _, ports = Session:engine():get_ports(ARDOUR.DataType("midi"), ARDOUR.PortList())
  for p in ports[2]:iter() do
    local amp = p:to_asyncmidiport()
    if not amp:isnil() and amp:sends_output() and p:name():find("virtual") then vk = amp end
  end
  if not vk then die("no x-virtual-keyboard MIDI port") end
  tr:input():disconnect_all(nil)
  if tr:input():connect(tr:input():midi(0), vk:name(), nil) ~= 0 then die("connect " .. vk:name()) end
  local parser = ARDOUR.RawMidiParser()
  local function send(bytes)
    for _, b in ipairs(bytes) do
      if parser:process_byte(b) then vk:write(parser:midi_buffer(), parser:buffer_size(), 0) end
    end
  end
  tr:rec_enable_control():set_value(1, NOGRP)
  Session:maybe_enable_record(false)
  Session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop, TRS)
  wait_for("located at 0", WAIT_SHORT, function()
    return Session:transport_stopped() and Session:transport_sample() == 0 end)
  Session:request_roll(TRS)
  wait_for("recording", WAIT_SHORT, function() return Session:actively_recording() end)
  -- a note from the virtual keyboard 0.5-0.7 s in, then the take runs to the score's length
  -- + 0.7 s (positions in engine samples, whatever the clock says)
  wait_for("transport at 0.5 s", WAIT_TAKE, function() return Session:transport_sample() >= 0.5 * SR end)
  send({0x90, 72, 64})
  wait_for("transport at 0.7 s", WAIT_TAKE, function() return Session:transport_sample() >= 0.7 * SR end)
  send({0x80, 72, 0})
  wait_for("transport past the score's length", WAIT_TAKE, function()
    return Session:transport_sample() >= NSAMP + 0.7 * SR end)
  Session:request_stop(false, false, TRS)
  wait_for("transport stopped", WAIT_SHORT, function() return Session:transport_stopped() end)
  Session:disable_record(false, false)
  tr:rec_enable_control():set_value(0, NOGRP)
  local reg = nil
  wait_for("MIDI region on the playlist", WAIT_SHORT, function() reg = the_region(tr); return reg ~= nil end)
  local mr = reg:to_midiregion()
  if mr:isnil() then die("the recorded region is not MIDI") end
  print("STEP recorded region", reg:name(), "position", reg:position():samples(), "length", reg:length():samples())
  if reg:length():samples() < NSAMP then die("region shorter than the score") end
  -- replace the recorded note by the score (times in quarter notes from the region start)
  local mm = mr:model()
  local tm = Temporal.TempoMap.read()
  local r0 = tm:quarters_at_sample(reg:position():samples())
  local cmd = mm:new_note_diff_command("statewave score")
  for n in ARDOUR.LuaAPI.note_list(mm):iter() do cmd:remove(n) end
  local count = 0
  for on, off, key, vel in NOTES:gmatch("(%d+):(%d+):(%d+):(%d+)") do
    local qon = tm:quarters_at_sample(tonumber(on)) - r0
    local qlen = tm:quarters_at_sample(tonumber(off)) - tm:quarters_at_sample(tonumber(on))
    cmd:add(ARDOUR.LuaAPI.new_noteptr(0, qon, qlen, tonumber(key), tonumber(vel)))
    count = count + 1
  end
  mm:apply_command(Session, cmd)
  local got = 0
  for n in ARDOUR.LuaAPI.note_list(mm):iter() do
    got = got + 1
    print("STEP note", n:note(), "velocity", n:velocity(), "at", n:time(), "length", n:length())
  end
  if got ~= count then die("region has " .. got .. " notes, the score " .. count) end
  if not Session:save_state("", false, false, false, false, false) then die("save") end
  close_session()
  print("PHASE create OK")
  os.exit(0)
end

if not load_session(DIR, NAME) then die("load_session") end
local tr = Session:route_by_name("Synth"):to_track()
if tr:isnil() then die("track Synth missing") end
local reg = the_region(tr)
if not reg then die("no region on the track after loading") end
local rpos = reg:position():samples()
local nnotes = 0
for n in ARDOUR.LuaAPI.note_list(reg:to_midiregion():model()):iter() do nnotes = nnotes + 1 end
print("STEP loaded region", reg:name(), "at", rpos, "notes", nnotes)

local function render(name)
  -- Ardour 7 cannot bounce a MIDI track through its instrument (Track:bounceable is false for
  -- MIDI data), so the session is exported: the master bus, session range = the region
  local e = Session:simple_export()
  e:set_folder(OUT)
  e:set_name(name)
  -- "Statewave float WAV" (32-bit float, no dither): written by test_ardour_synth.sh into
  -- the private config dir; fall back to nothing else (a dithered export hides silence)
  if not e:set_preset("5d2b8f3e-7c41-4a59-9e0b-3f6a2c1d8e74") then die("export preset (float WAV) not found") end
  e:set_range(rpos, rpos + NSAMP)
  if not e:run_export() then die("export " .. name) end
  print("STEP render", name)
end

local function params(tag, proc)
  local s = string.format("PARAMS %s uri=%s active=%s", tag, proc:to_insert():plugin(0):unique_id(),
                          tostring(proc:active()))
  for k, i in pairs(P) do
    s = s .. string.format(" %s=%g", k, ARDOUR.LuaAPI.get_processor_param(proc, i, true))
  end
  print(s)
end

if PHASE == "process" then
  local proc = ARDOUR.LuaAPI.new_plugin(Session, URI, ARDOUR.PluginType.LV2, "")
  if proc:isnil() then die("new_plugin " .. URI .. " (is LV2_PATH set?)") end
  if tr:add_processor_by_index(proc, 0, nil, true) ~= 0 then die("add_processor") end
  local plug = proc:to_insert():plugin(0)
  if PRESET ~= "" then
    local pr = plug:preset_by_label(PRESET)
    if not pr then die("preset '" .. PRESET .. "' not found") end
    if not plug:load_preset(pr) then die("load_preset " .. PRESET) end
    print("STEP preset", pr.label, pr.uri)
  end
  if LEVEL then ARDOUR.LuaAPI.set_processor_param(proc, P.level, LEVEL) end
  sleep(1.0) -- the timbre model loads in the plugin's worker
  print("STEP plugin", plug:name(), "outputs", tr:n_outputs():n_audio(), "latency", proc:signal_latency())
  params("before", proc)
  render("synth")
  if not Session:save_state("", false, false, false, false, false) then die("save") end
  print("PHASE process OK")
  quit()
end

if PHASE == "reload" then
  local proc = nil
  local i = 0
  while true do
    local pr = tr:nth_plugin(i)
    if pr:isnil() then break end
    if pr:to_insert():plugin(0):unique_id() == URI then proc = pr end
    i = i + 1
  end
  if not proc then die("plugin " .. URI .. " not found after reload") end
  sleep(1.0)
  params("reloaded", proc)
  render("synth_reloaded")
  print("PHASE reload OK")
  quit()
end
die("unknown PHASE " .. PHASE)
