-- lumenq for Orthanc: when a study becomes stable, its instances are written
-- to a private folder, `lumenq hook` measures the IVUS pullbacks among them,
-- and the Structured Report and the Encapsulated PDF it writes are uploaded
-- back, into the same study. File names come from Orthanc's own identifiers
-- and lumenq's UID-based folders; nothing received is put on a command line.
--
-- Environment (read by Orthanc's process): LUMENQ, the lumenq executable
-- (default "lumenq"); LUMENQ_OUT, where results are kept (default
-- /var/lib/orthanc/lumenq). lumenq measures an instance once: when the
-- uploads make the study stable again, the second run finds it done.

local lumenq = os.getenv('LUMENQ') or 'lumenq'
local out = os.getenv('LUMENQ_OUT') or '/var/lib/orthanc/lumenq'

-- Orthanc identifiers are hexadecimal groups joined by dashes: safe as names.
local function safe(id)
   return string.match(id, '^[0-9a-f%-]+$') ~= nil
end

local function shell_quote(s)
   return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

function OnStableStudy(studyId, tags, metadata)
   if not safe(studyId) then
      return
   end
   local work = out .. '/incoming/' .. studyId
   os.execute('mkdir -p ' .. shell_quote(work))
   local instances = ParseJson(RestApiGet('/studies/' .. studyId .. '/instances'))
   for _, instance in pairs(instances) do
      if safe(instance['ID']) then
         local f = io.open(work .. '/' .. instance['ID'] .. '.dcm', 'wb')
         if f then
            f:write(RestApiGet('/instances/' .. instance['ID'] .. '/file'))
            f:close()
         end
      end
   end
   os.execute(shell_quote(lumenq) .. ' hook ' .. shell_quote(work) .. ' --out ' .. shell_quote(out .. '/results')
              .. ' --log ' .. shell_quote(out .. '/lumenq.log'))
   -- upload what lumenq wrote for this study (the same UIDs every time:
   -- Orthanc keeps one copy). lumenq names the folder after the Study
   -- Instance UID, digits and dots only; anything else is not looked for.
   local uid = tags['StudyInstanceUID'] or ''
   if not string.match(uid, '^[0-9.]+$') then
      os.execute('rm -rf ' .. shell_quote(work))
      return
   end
   local found = io.popen('find ' .. shell_quote(out .. '/results/' .. uid)
                          .. ' -name sr.dcm -o -name report-pdf.dcm 2>/dev/null')
   for path in found:lines() do
      local f = io.open(path, 'rb')
      if f then
         local content = f:read('*a')
         f:close()
         RestApiPost('/instances', content)
      end
   end
   found:close()
   os.execute('rm -rf ' .. shell_quote(work))
end
