-- ardour_session.lua — Statewave Denoise in a real DAW: Ardour 7 headless (ardour7-lua).
-- Driven by tests/host/test_ardour.sh, which prepares the recording, runs the phases below
-- in separate ardour7-lua processes and checks the rendered audio.
--
-- env: PHASE     create | dry | process | reload
--      SESS_DIR  session folder (create: must not exist yet)
--      TAKE      the noisy recording, 48 kHz mono float WAV (create)
--      NSAMP     its length in samples
--      OUT       folder for the exports (dry.wav, wet.wav, wet_reloaded.wav)
--      PLUGIN_URI, PRESET (label; "" = none)
--      XDG_CONFIG_HOME  private config dir holding ardour7/export/statewave-float.preset
-- Phases (each prints "STEP ..."; any failure prints "FAIL: ..." and exits 1):
--  create:  Dummy backend, new 48 kHz session, one mono track "Voice"; record a placeholder
--           take longer than the recording; save; close; then overwrite the take's file with
--           the recording (padded with silence to the take's length)
--  dry:     load; export "dry" (no plugin); quit without saving
--  process: load; insert the plugin by URI, load the preset, export "wet"; save; quit
--  reload:  load; the plugin, its URI and its control values must be back; export
--           "wet_reloaded"; quit
-- Rendering is Ardour's export of the session (master bus, stereo; the mono track is panned
-- to the centre with Ardour's -3 dB pan law) over the region, 32-bit float, no dither.
-- Ardour 7.3 faults seen on this system shape the script; none involves the plugin:
--  * the export corrupts the heap now and then (glibc abort or SIGSEGV in the export, its
--    teardown or the next save), also in the "dry" phase without any plugin and with the
--    stock eg-amp example. Two exports in one process crashed far more often (3 of 4 runs)
--    than one, so each process exports once, as tests/host/ardour_synth_session.lua does, and
--    test_ardour.sh reruns a phase that died of a signal (bounded, reported).
--  * closing a session after rendering can deadlock in Graph::drop_threads. So a phase that
--    has rendered ends with (save +) AudioEngine:stop() + os.exit instead of close_session(),
--    and the reload happens in a new process.
local PHASE  = assert(os.getenv("PHASE"), "PHASE")
local DIR    = assert(os.getenv("SESS_DIR"), "SESS_DIR")
local NSAMP  = assert(tonumber(os.getenv("NSAMP")), "NSAMP")
local OUT    = assert(os.getenv("OUT"), "OUT")
local URI    = os.getenv("PLUGIN_URI") or "https://statewave.dev/plugins/denoise#mono"
local PRESET = os.getenv("PRESET") or "Podcast"
local EXPORT_PRESET = "5d2b8f3e-7c41-4a59-9e0b-3f6a2c1d8e74"
local NAME   = "swtest"
local SR     = 48000
local TRS    = ARDOUR.TransportRequestSource.TRS_UI
local NOGRP  = PBD.GroupControlDisposition.NoGroup
-- parameter numbers as Ardour counts them (control ports in index order):
local P_ENABLED, P_MIX, P_LIMIT, P_LATENCY = 0, 1, 2, 3

-- stdout is a file here, so print is block-buffered: flush every line, so that the log
-- shows how far a phase got when Ardour crashes
local lua_print = print
local function print(...) lua_print(...); io.stdout:flush() end
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

if PHASE == "create" then
  local TAKE = assert(os.getenv("TAKE"), "TAKE")
  if not create_session(DIR, NAME, SR) then die("create_session") end
  if Session:sample_rate() ~= SR then die("session rate " .. Session:sample_rate()) end
  local tr = Session:new_audio_track(1, 2, nil, 1, "Voice", ARDOUR.PresentationInfo.max_order,
                                     ARDOUR.TrackMode.Normal, true):front()
  print("STEP session", Session:name(), Session:sample_rate(), "track", tr:name())
  tr:rec_enable_control():set_value(1, NOGRP)
  Session:maybe_enable_record(false)
  Session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop, TRS)
  wait_for("located at 0", WAIT_SHORT, function()
    return Session:transport_stopped() and Session:transport_sample() == 0 end)
  Session:request_roll(TRS)
  wait_for("recording", WAIT_SHORT, function() return Session:actively_recording() end)
  -- the take covers the recording plus 0.6 s, counted in engine samples
  wait_for("transport past the recording's length", WAIT_TAKE, function()
    return Session:transport_sample() >= NSAMP + 0.6 * SR end)
  Session:request_stop(false, false, TRS)
  wait_for("transport stopped", WAIT_SHORT, function() return Session:transport_stopped() end)
  Session:disable_record(false, false)
  tr:rec_enable_control():set_value(0, NOGRP)
  -- the butler writes the take and adds its region after the stop
  local reg = nil
  wait_for("placeholder region on the playlist", WAIT_SHORT, function()
    for r in tr:playlist():region_list():iter() do reg = r; break end
    return reg ~= nil end)
  local rlen = reg:length():samples()
  print("STEP placeholder region", reg:name(), "position", reg:position():samples(), "length", rlen)
  if rlen < NSAMP then die("placeholder shorter than the recording") end
  if not Session:save_state("", false, false, false, false, false) then die("save") end
  close_session()
  -- the interchange sub-folder is named after the session folder
  local afdir = DIR .. "/interchange/" .. DIR:match("([^/]+)/*$") .. "/audiofiles"
  local p = io.popen("ls '" .. afdir .. "'")
  local files = {}
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  if #files ~= 1 then die("expected one take file in " .. afdir .. ", found " .. #files) end
  local takefile = afdir .. "/" .. files[1]
  sh(string.format("sox -V1 '%s' -r %d -c 1 -b 32 -e floating-point '%s.new.wav' pad 0 %ds && mv '%s.new.wav' '%s'",
                   TAKE, SR, takefile, rlen - NSAMP, takefile, takefile))
  print("STEP replaced", takefile)
  print("PHASE create OK")
  os.exit(0)
end

if not load_session(DIR, NAME) then die("load_session") end
local tr = Session:route_by_name("Voice"):to_track()
if tr:isnil() then die("track Voice missing") end
local rpos = nil
for r in tr:playlist():region_list():iter() do rpos = r:position():samples(); break end
if not rpos then die("no region on the track") end

local function render(name)
  -- the session's export of the master bus over the region (Session:simple_export, freewheel),
  -- with the "Statewave float WAV" preset that test_ardour.sh writes into the private config
  -- dir (stock "BWAV 32float Export" format: 32-bit float, no dither, no analysis); no
  -- fallback (the stock presets are 16-bit, dithered or 44.1 kHz)
  local e = Session:simple_export()
  e:set_folder(OUT)
  e:set_name(name)
  if not e:set_preset(EXPORT_PRESET) then die("export preset " .. EXPORT_PRESET .. " (float WAV) not found") end
  e:set_range(rpos, rpos + NSAMP)
  if not e:run_export() then die("export " .. name) end
  print("STEP render", name)
end

local function params(tag, proc)
  print(string.format("PARAMS %s enabled=%g mix=%g limit_db=%g latency=%g uri=%s active=%s", tag,
        ARDOUR.LuaAPI.get_processor_param(proc, P_ENABLED, true),
        ARDOUR.LuaAPI.get_processor_param(proc, P_MIX, true),
        ARDOUR.LuaAPI.get_processor_param(proc, P_LIMIT, true),
        ARDOUR.LuaAPI.get_processor_param(proc, P_LATENCY, true),
        proc:to_insert():plugin(0):unique_id(), tostring(proc:active())))
end

if PHASE == "dry" then
  sleep(0.3)
  render("dry")
  print("PHASE dry OK")
  quit()
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
  sleep(0.3)
  print("STEP plugin", plug:name(), "latency", proc:signal_latency())
  params("before", proc)
  render("wet")
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
  sleep(0.3)
  params("reloaded", proc)
  render("wet_reloaded")
  print("PHASE reload OK")
  quit()
end
die("unknown PHASE " .. PHASE)
