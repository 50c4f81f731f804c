-- Headless Ardour bounce of the Timbrel LV2 instrument (run by tools/ardour-bounce.sh
-- through ardour7-lua, Ardour's luasession).
-- args: SESSION_DIR SNAPSHOT OUT_DIR OUT_NAME END_SAMPLE READY_TIMEOUT_S READY_PORT WARM_UP(1|0)
-- The session holds one MIDI track with its region already in place (inject_region.py).
-- This adds the plug-in, waits for its `ready` output, plays the song through once in real
-- time (see play_through), waits again, then exports the master bus
-- over [0, END_SAMPLE) with the "Timbrel WAV float" preset (48 kHz float WAV, no
-- normalisation, no dither), in freewheel (faster than real time).

local sdir, snap, out_dir, out_name = arg[1], arg[2], arg[3], arg[4]
local end_sample = tonumber (arg[5])
local ready_timeout = tonumber (arg[6] or "600")
local READY_PORT = tonumber (arg[7]) -- lv2:index of the plug-in's `ready` output control port
local warm_up = (arg[8] or "1") == "1" -- play the song through once before exporting
local PRESET = "3f9a7b52-8c1e-4d0b-b6a2-5e4c2d1f9a77"
local URI = "urn:timbrel:synth"

local T0 = ARDOUR.LuaAPI.monotonic_time ()
local function log (msg)
	print (string.format ("[%6.1f s] %s", (ARDOUR.LuaAPI.monotonic_time () - T0) / 1e6, msg))
	io.stdout:flush () -- a log that ends where Ardour crashed
end

-- Lua holds shared pointers to routes and processors: drop them (and collect) before
-- the session goes, or their late release touches freed memory at exit.
local track, proc, insert, plugin, e = nil, nil, nil, nil, nil
local function close ()
	track, proc, insert, plugin, e = nil, nil, nil, nil, nil
	collectgarbage ()
	collectgarbage ()
	if Session then Session:close () end
end

local function fail (msg)
	print ("BOUNCE-ERROR: " .. msg)
	close ()
	quit ()
	error (msg)
end

if not load_session (sdir, snap) then fail ("cannot load session " .. sdir) end
log ("session loaded")
if Session:nominal_sample_rate () ~= 48000 then fail ("session rate is not 48 kHz") end

for t in Session:get_tracks ():iter () do
	if not t:to_track ():to_midi_track ():isnil () then track = t:to_track () end
end
if not track then fail ("no MIDI track in the session") end

local nregions = track:playlist ():region_list ():size ()
if nregions ~= 1 then fail ("expected one MIDI region, found " .. nregions) end
for r in track:playlist ():region_list ():iter () do
	log (string.format ("region '%s': %d to %d samples, %d notes", r:name (), r:position ():samples (),
		r:position ():samples () + r:length ():samples (), #ARDOUR.LuaAPI.note_list (r:to_midiregion ():model ()):table ()))
end

proc = ARDOUR.LuaAPI.new_plugin (Session, URI, ARDOUR.PluginType.LV2, "")
if proc:isnil () then fail ("LV2 plug-in " .. URI .. " not found (LV2_PATH=" .. (os.getenv ("LV2_PATH") or "") .. ")") end
if track:add_processor_by_index (proc, 0, nil, true) ~= 0 then fail ("cannot add the plug-in to the track") end
insert = proc:to_insert ()
plugin = insert:plugin (0)
log (string.format ("plug-in: %s on track '%s' (%d regions)", plugin:name (), track:name (), nregions))

-- LuaAPI.get_plugin_insert_param counts control ports only (inputs and outputs).
local ready_param = nil
local n = 0
for j = 0, plugin:parameter_count () - 1 do
	if plugin:parameter_is_control (j) then
		if j == READY_PORT then ready_param = n end
		n = n + 1
	end
end
if not ready_param then fail ("the plug-in has no control port " .. READY_PORT) end

-- The plug-in renders its note cache on its own thread; the engine keeps running
-- (transport stopped) meanwhile. Poll its `ready` output port until it reads 1 on
-- three polls in a row.
local function wait_ready (what)
	local t0 = ARDOUR.LuaAPI.monotonic_time ()
	local streak = 0
	while true do
		local ready = ARDOUR.LuaAPI.get_plugin_insert_param (insert, ready_param, false)
		local waited = (ARDOUR.LuaAPI.monotonic_time () - t0) / 1e6
		streak = ready >= 0.5 and streak + 1 or 0
		if streak >= 3 then
			log (string.format ("plug-in ready %s after %.1f s", what, waited))
			return
		end
		if waited > ready_timeout then fail (string.format ("plug-in not ready %s after %.0f s", what, waited)) end
		sleep (0.5)
	end
end

local function export (folder, name)
	e = Session:simple_export ()
	if not e:set_preset (PRESET) then fail ("export preset " .. PRESET .. " not found (XDG_CONFIG_HOME=" .. (os.getenv ("XDG_CONFIG_HOME") or "") .. ")") end
	if not e:check_outputs () then fail ("no master-bus outputs to export") end
	e:set_range (0, end_sample)
	e:set_folder (folder)
	e:set_name (name)
	local t1 = ARDOUR.LuaAPI.monotonic_time ()
	if not e:run_export () then fail ("export failed") end
	log (string.format ("export of %d samples to %s/%s.wav took %.1f s", end_sample, folder, name, (ARDOUR.LuaAPI.monotonic_time () - t1) / 1e6))
end

-- Program changes in the song make the plug-in build other timbres, on its own thread,
-- when they arrive; a freewheeling export would not wait for them. So the song is played
-- through once first, in real time (not a second export: Ardour 7's export corrupts its
-- heap now and then, far more often when a session exports twice), then we wait again
-- (which also lets the release tails die away) before the one export.
local function play_through (seconds)
	local TRS = ARDOUR.TransportRequestSource.TRS_UI
	Session:request_locate (0, false, ARDOUR.LocateTransportDisposition.MustStop, TRS)
	sleep (0.2)
	Session:request_roll (TRS)
	local t0 = ARDOUR.LuaAPI.monotonic_time ()
	-- until the playhead has passed the end (a busy machine may run the engine slower than the clock)
	while Session:transport_sample () < end_sample and (ARDOUR.LuaAPI.monotonic_time () - t0) / 1e6 < 3 * seconds + 10 do
		sleep (0.1)
	end
	Session:request_stop (false, false, TRS)
	sleep (0.2)
	Session:request_locate (0, false, ARDOUR.LocateTransportDisposition.MustStop, TRS)
	log (string.format ("played the song through in real time (%.1f s, to sample %d)", (ARDOUR.LuaAPI.monotonic_time () - t0) / 1e6, Session:transport_sample ()))
end

wait_ready ("at start")
if warm_up then
	play_through (end_sample / 48000)
	wait_ready ("after the warm-up pass")
	sleep (2)
end
export (out_dir, out_name)
-- The file is complete once run_export returns. Ardour 7.3 now and then crashes tearing its
-- export down (its heap corrupted during the export: seen with its own ACE Reasonable Synth
-- too), so this is said, and flushed, before the session closes.
print ("exported")
io.stdout:flush ()
close ()
