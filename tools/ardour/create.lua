-- Create an empty 48 kHz Ardour session holding one MIDI track (stereo out to the
-- master bus), then save and close it. Run by tools/ardour-bounce.sh via ardour7-lua.
-- args: SESSION_DIR SNAPSHOT   (SESSION_DIR must not exist yet)
local sdir, snap = arg[1], arg[2]
local s = create_session (sdir, snap, 48000)
if not s then print ("BOUNCE-ERROR: cannot create session " .. sdir) os.exit (1) end
local tl = Session:new_midi_track (
	ARDOUR.ChanCount (ARDOUR.DataType ("midi"), 1), ARDOUR.ChanCount (ARDOUR.DataType ("audio"), 2),
	true, ARDOUR.PluginInfo (), nil, nil, 1, "Timbrel",
	ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true, false)
if tl:size () ~= 1 then print ("BOUNCE-ERROR: cannot add a MIDI track") os.exit (1) end
Session:save_state ("", false, false, false, false, false)
Session:close ()
print ("session created: " .. sdir)
