// The elevated PowerShell install and uninstall scripts behind `wslplug register --ps1` (see
// wslplug/registry/registration.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "wslplug/core/utf8.hpp"
#include "wslplug/registry/interop.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::registry {

std::string ps_quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const auto cp = next_utf8(s, i);
    const std::string_view character = s.substr(start, i - start);
    // PowerShell treats U+2018..U+201B like ': doubled, as ' is.
    if (cp == U'\'' || (cp && *cp >= 0x2018 && *cp <= 0x201b)) out.append(character);
    out.append(character);
  }
  out += "'";
  return out;
}

namespace {

std::string base64_der(std::span<const std::byte> data) {
  return registry::base64(
      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

// PowerShell text is kept as raw strings with LF line ends (converted to CRLF at the end). No
// user-supplied text is ever spliced into them: names, paths and certificates are assigned to
// variables first, as single-quoted literals (ps_quote), in the generated header.

// The parameters of a script; the install script also takes -Source.
std::string param_block(bool install) {
  std::string out = "param(\n";
  if (install) out += "  [string]$Source = '',\n";
  out += "  [switch]$Restart,\n  [string]$LogFile = ''\n)\n$ErrorActionPreference = 'Stop'\n";
  return out;
}

constexpr std::string_view kCommonFunctions = R"PS(
if ($LogFile) { Start-Transcript -LiteralPath $LogFile -Force | Out-Null }
$script:ExitCode = 0

# The 64-bit registry view of HKLM, whatever the bitness of this PowerShell.
function Open-Hklm64 {
  return [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
}

# Plugins load only when wslservice starts; stopping it ends every running WSL session.
function Stop-WslService {
  $Service = Get-Service -Name wslservice -ErrorAction SilentlyContinue
  if ($null -eq $Service) { throw 'The wslservice service is not installed; install WSL (wsl.exe --install) first.' }
  if ($Service.Status -ne 'Stopped') {
    Write-Host 'Stopping wslservice (this ends every running WSL session)...'
    Stop-Service -Name wslservice -Force
  }
}

function Test-ReparsePoint([string]$Path) {
  $Item = Get-Item -LiteralPath $Path -Force
  return [bool]([int]$Item.Attributes -band [int][System.IO.FileAttributes]::ReparsePoint)
}
)PS";

constexpr std::string_view kTrustFunction = R"PS(
# Trusts the signing certificate machine-wide (the service runs as LocalSystem: only LocalMachine
# stores count). Returns the thumbprint when this call added it, '' when it was already trusted.
function Add-TrustedCertificate {
  $Cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([byte[]][Convert]::FromBase64String($CertBase64))
  if ($Cert.Thumbprint -ne $TrustThumbprint) { throw 'The embedded certificate is damaged; generate the script again.' }
  if (Test-Path -LiteralPath ('Cert:\LocalMachine\Root\' + $Cert.Thumbprint)) {
    Write-Host ('Certificate {0} is already trusted in Cert:\LocalMachine\Root; the uninstall script will leave it there.' -f $Cert.Thumbprint)
    return ''
  }
  Write-Warning '*****************************************************************'
  Write-Warning ('TRUSTING A CERTIFICATE FOR THE WHOLE MACHINE: adding {0} (thumbprint {1}) to Cert:\LocalMachine\Root.' -f $Cert.Subject, $Cert.Thumbprint)
  Write-Warning 'Everything signed with its key will be trusted on this computer. Do this only on a test machine.'
  Write-Warning ('The uninstall script removes it again; by hand: Remove-Item Cert:\LocalMachine\Root\{0}' -f $Cert.Thumbprint)
  Write-Warning '*****************************************************************'
  $Store = [System.Security.Cryptography.X509Certificates.X509Store]::new([System.Security.Cryptography.X509Certificates.StoreName]::Root, [System.Security.Cryptography.X509Certificates.StoreLocation]::LocalMachine)
  $Store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadWrite)
  try { $Store.Add($Cert) } finally { $Store.Close() }
  Write-Host ('Trusted certificate {0} in Cert:\LocalMachine\Root.' -f $Cert.Thumbprint) -ForegroundColor Yellow
  return $Cert.Thumbprint
}
)PS";

constexpr std::string_view kInstallFunctions = R"PS(
function Invoke-Icacls {
  $ErrorActionPreference = 'Continue'
  $Output = (& icacls.exe @args 2>&1 | Out-String).Trim()
  if ($LASTEXITCODE -ne 0) { throw ('icacls.exe {0} failed with exit code {1}: {2}' -f ($args -join ' '), $LASTEXITCODE, $Output) }
}

# Creates the install folder (and any missing parent), refusing a junction or symbolic link on
# the way. Returns the folders it created, outermost first.
function New-InstallFolder {
  $Created = @()
  $Chain = @()
  $Dir = $PluginDir
  while ($Dir -and ($Dir -ne [System.IO.Path]::GetPathRoot($Dir))) { $Chain = @($Dir) + $Chain; $Dir = Split-Path -Parent $Dir }
  foreach ($Dir in $Chain) {
    if (Test-Path -LiteralPath $Dir) {
      if (Test-ReparsePoint $Dir) { throw ('{0} is a reparse point (a junction or symbolic link): refusing to install through it, since it may lead to a folder other users can write.' -f $Dir) }
      if (-not (Test-Path -LiteralPath $Dir -PathType Container)) { throw ('{0} exists and is not a folder.' -f $Dir) }
    } else {
      [System.IO.Directory]::CreateDirectory($Dir) | Out-Null
      $Created += $Dir
    }
  }
  if ($Chain.Count -eq 0) { throw ('{0} is the root of a drive or share: the plugin needs a folder of its own, whose permissions this script sets.' -f $PluginDir) }
  $Other = @(Get-ChildItem -LiteralPath $PluginDir -Force | Where-Object { $_.Name -ne $DllFile -and $_.Name -ne ($DllFile + '.new') })
  if ($Other.Count -gt 0) { throw ('{0} already holds other files ({1}, ...): the plugin needs a folder of its own, whose permissions this script sets; use the default, C:\Program Files\WSL Plugins\NAME\.' -f $PluginDir, $Other[0].Name) }
  return ,$Created
}

# Inheritance off; SYSTEM and Administrators full control, Users read and execute; owner
# Administrators, for the folder and everything in it. Well-known SIDs, so any Windows language.
function Set-InstallFolderAcl {
  Invoke-Icacls $PluginDir /reset /T /C /Q
  Invoke-Icacls $PluginDir /inheritance:r /grant:r ('*' + $SystemSid + ':(OI)(CI)F') ('*' + $AdminsSid + ':(OI)(CI)F') ('*' + $UsersSid + ':(OI)(CI)RX') /Q
  Invoke-Icacls $PluginDir /setowner ('*' + $AdminsSid) /T /C /Q
  Assert-InstallFolderAcl
}

# Checks the folder's ACL as Windows reports it: protected from inheritance, owned by
# Administrators (or SYSTEM), and no allow rule with a write right for anyone else.
function Assert-InstallFolderAcl {
  $Allowed = @($SystemSid, $AdminsSid)
  # WriteData, AppendData, WriteExtendedAttributes, DeleteSubdirectoriesAndFiles, WriteAttributes,
  # Delete, ChangePermissions, TakeOwnership, GENERIC_ALL, GENERIC_WRITE.
  $WriteMask = 0x500D0156
  $Acl = Get-Acl -LiteralPath $PluginDir
  if (-not $Acl.AreAccessRulesProtected) { throw ('{0} still inherits permissions from its parent.' -f $PluginDir) }
  $Owner = $Acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
  if ($Allowed -notcontains $Owner) { throw ('{0} is owned by {1}, not by Administrators.' -f $PluginDir, $Owner) }
  foreach ($Rule in $Acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
    if ($Rule.AccessControlType -ne 'Allow') { continue }
    if (([int]$Rule.FileSystemRights -band $WriteMask) -eq 0) { continue }
    if ($Allowed -notcontains $Rule.IdentityReference.Value) { throw ('{0} grants write access to {1}; refusing to install into it.' -f $PluginDir, $Rule.IdentityReference.Value) }
  }
  Write-Host ('{0}: inheritance off, owner Administrators, write access only for SYSTEM and Administrators.' -f $PluginDir)
}

# Copies the DLL into the protected folder under a temporary name, requires a valid Authenticode
# signature on that copy (which no other user can change any more), then moves it into place.
function Install-PluginFile([string]$From) {
  if ((Test-Path -LiteralPath $PluginPath) -and (Test-ReparsePoint $PluginPath)) { throw ('{0} is a reparse point (a symbolic link); remove it first.' -f $PluginPath) }
  $Staged = $PluginPath + '.new'
  if (Test-Path -LiteralPath $Staged) { [System.IO.File]::Delete($Staged) }
  [System.IO.File]::Copy($From, $Staged)
  $Signature = Get-AuthenticodeSignature -LiteralPath $Staged
  if ($Signature.Status -ne 'Valid') {
    [System.IO.File]::Delete($Staged)
    throw ('The signature of {0} is not valid ({1}: {2}); nothing was installed. Check the DLL with: wslplug doctor --dll FILE' -f $From, $Signature.Status, $Signature.StatusMessage)
  }
  Write-Host ('Signature valid: {0}' -f $Signature.SignerCertificate.Subject)
  try {
    if (Test-Path -LiteralPath $PluginPath) { [System.IO.File]::Delete($PluginPath) }
    [System.IO.File]::Move($Staged, $PluginPath)
  } catch {
    if (Test-Path -LiteralPath $Staged) { [System.IO.File]::Delete($Staged) }
    throw ('{0} is in use (wslservice has the plugin loaded): run this script again with -Restart, which stops wslservice first and so ends every running WSL session.' -f $PluginPath)
  }
  Write-Host ('Installed {0}' -f $PluginPath)
}

function Register-Plugin {
  $Base = Open-Hklm64
  try {
    $Key = $Base.CreateSubKey($KeyPath)
    try { $Key.SetValue($PluginName, $PluginPath, [Microsoft.Win32.RegistryValueKind]::String) } finally { $Key.Close() }
  } finally { $Base.Close() }
  Write-Host ("Registered plugin '{0}' = {1} (REG_SZ in HKLM\{2}, 64-bit view)." -f $PluginName, $PluginPath, $KeyPath)
}

# Records what this install did, so the uninstall script undoes exactly that. A reinstall keeps
# what an earlier install recorded (folders it created, a certificate it added).
function Save-InstallRecord([string[]]$CreatedFolders, [string]$AddedThumbprint) {
  $Base = Open-Hklm64
  try {
    $State = $Base.CreateSubKey($StatePath)
    try {
      $Folders = @(@($State.GetValue('CreatedFolders', [string[]]@())) + @($CreatedFolders) | Where-Object { $_ } | Select-Object -Unique)
      $Thumbprint = $AddedThumbprint
      if (-not $Thumbprint) { $Thumbprint = [string]$State.GetValue('TrustedThumbprint', '') }
      $State.SetValue('Name', $PluginName, [Microsoft.Win32.RegistryValueKind]::String)
      $State.SetValue('Path', $PluginPath, [Microsoft.Win32.RegistryValueKind]::String)
      $State.SetValue('CreatedFolders', [string[]]$Folders, [Microsoft.Win32.RegistryValueKind]::MultiString)
      $State.SetValue('TrustedThumbprint', $Thumbprint, [Microsoft.Win32.RegistryValueKind]::String)
    } finally { $State.Close() }
  } finally { $Base.Close() }
}

# Starts WSL, so the service loads the plugins, and reports the result: a load failure shows
# when the WSL 2 VM starts.
function Test-PluginLoads {
  $ErrorActionPreference = 'Continue'
  $env:WSL_UTF8 = '1'
  Write-Host 'Running: wsl.exe --exec /bin/true'
  $Output = (& wsl.exe --exec /bin/true 2>&1 | Out-String).Trim()
  $Code = $LASTEXITCODE
  if ($Code -eq 0) {
    Write-Host ("OK: WSL started with plugin '{0}' registered; no plugin error was reported." -f $PluginName) -ForegroundColor Green
    return
  }
  if ($Output) { Write-Host $Output }
  if ($Output -match 'Error code:\s*(\S+)') {
    Write-Host ("FAILED: {0}. Diagnose it with: wslplug doctor {0}" -f $Matches[1]) -ForegroundColor Red
  } else {
    Write-Host ("FAILED: wsl.exe exited with code {0}." -f $Code) -ForegroundColor Red
  }
  $script:ExitCode = 1
}
)PS";

constexpr std::string_view kInstallMain = R"PS(
function Invoke-Install {
  if (-not $Source) {
    $Source = $DefaultSource
    if (-not $Source) { $Source = $DllFile }
    if (-not [System.IO.Path]::IsPathRooted($Source)) { $Source = Join-Path $PSScriptRoot $Source }
  }
  if (-not (Test-Path -LiteralPath $Source -PathType Leaf)) { throw ('The DLL to install, {0}, does not exist; pass it with -Source FILE.' -f $Source) }
  $From = (Resolve-Path -LiteralPath $Source).ProviderPath
  $AddedThumbprint = ''
  if ($CertBase64) { $AddedThumbprint = Add-TrustedCertificate }
  $Created = New-InstallFolder
  Set-InstallFolderAcl
  if ($Restart) { Stop-WslService }
  Install-PluginFile $From
  Register-Plugin
  Save-InstallRecord $Created $AddedThumbprint
  if ($Restart) {
    Stop-WslService
    Test-PluginLoads
  } else {
    Write-Host 'wslservice loads plugins only when it starts. Run this script again with -Restart, or Restart-Service wslservice, to load it now: either ends every running WSL session.' -ForegroundColor Yellow
  }
}

try { Invoke-Install } catch {
  Write-Host ('FAILED: {0}' -f $_.Exception.Message) -ForegroundColor Red
  $script:ExitCode = 1
} finally {
  if ($LogFile) { Stop-Transcript | Out-Null }
}
exit $script:ExitCode
)PS";

constexpr std::string_view kUninstallMain = R"PS(
function Invoke-Uninstall {
  if ($Restart) { Stop-WslService }
  $Base = Open-Hklm64
  try {
    $Key = $Base.OpenSubKey($KeyPath, $true)
    if ($null -ne $Key -and $null -ne $Key.GetValue($PluginName)) {
      try { $Key.DeleteValue($PluginName) } finally { $Key.Close() }
      Write-Host ("Removed the registration of plugin '{0}'." -f $PluginName)
    } else {
      if ($null -ne $Key) { $Key.Close() }
      Write-Host ("Plugin '{0}' is not registered." -f $PluginName)
    }
    $State = $Base.OpenSubKey($StatePath, $true)
    if ($null -eq $State) {
      Write-Warning ("No install record for '{0}' (HKLM\{1}): only the registration was removed; files and certificates put there by other means are left alone." -f $PluginName, $StatePath)
      return
    }
    try {
      $Thumbprint = [string]$State.GetValue('TrustedThumbprint', '')
      if ($Thumbprint) {
        $CertPath = 'Cert:\LocalMachine\Root\' + $Thumbprint
        if (Test-Path -LiteralPath $CertPath) {
          Remove-Item -LiteralPath $CertPath
          Write-Host ('Removed certificate {0} from Cert:\LocalMachine\Root (the install had added it).' -f $Thumbprint)
        }
        $State.SetValue('TrustedThumbprint', '', [Microsoft.Win32.RegistryValueKind]::String)
      }
      $Path = [string]$State.GetValue('Path', '')
      foreach ($File in @($Path, ($Path + '.new'))) {
        if (-not $Path -or -not (Test-Path -LiteralPath $File)) { continue }
        try { [System.IO.File]::Delete($File) } catch {
          throw ('{0} is in use (wslservice has the plugin loaded): run this script again with -Restart, which stops wslservice first and so ends every running WSL session.' -f $File)
        }
        Write-Host ('Deleted {0}' -f $File)
      }
      $Folders = @($State.GetValue('CreatedFolders', [string[]]@()))
      [array]::Reverse($Folders)
      foreach ($Dir in $Folders) {
        if (-not $Dir -or -not (Test-Path -LiteralPath $Dir)) { continue }
        if (Get-ChildItem -LiteralPath $Dir -Force) { Write-Warning ('{0} is not empty; left in place.' -f $Dir); continue }
        Remove-Item -LiteralPath $Dir
        Write-Host ('Removed folder {0}' -f $Dir)
      }
    } finally { $State.Close() }
    $Base.DeleteSubKey($StatePath)
    foreach ($Parent in @($InstalledPath, (Split-Path -Parent $InstalledPath))) {
      $Sub = $Base.OpenSubKey($Parent)
      if ($null -eq $Sub) { continue }
      $Empty = ($Sub.SubKeyCount -eq 0 -and $Sub.ValueCount -eq 0)
      $Sub.Close()
      if ($Empty) { $Base.DeleteSubKey($Parent) }
    }
    Write-Host ("Uninstalled plugin '{0}'." -f $PluginName) -ForegroundColor Green
  } finally { $Base.Close() }
}

try { Invoke-Uninstall } catch {
  Write-Host ('FAILED: {0}' -f $_.Exception.Message) -ForegroundColor Red
  $script:ExitCode = 1
} finally {
  if ($LogFile) { Stop-Transcript | Out-Null }
}
exit $script:ExitCode
)PS";

std::string dll_file_name(std::string_view windows_path) {
  auto slash = windows_path.find_last_of('\\');
  return std::string(slash == std::string_view::npos ? windows_path
                                                     : windows_path.substr(slash + 1));
}

std::string state_path(std::string_view name) {
  return fmt::format("{}\\{}", kInstallStateSubkey, file_safe_name(name));
}

std::string header(std::string_view what, std::string_view name, std::string_view generator,
                   std::string_view usage) {
  return fmt::format(
      "#Requires -RunAsAdministrator\n"
      "# {} the WSL plugin {} (generated by {}).\n"
      "# Run it in an elevated PowerShell on the Windows machine:\n"
      "#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File <this file> {}\n",
      what, ps_quote(name), generator.empty() ? "wslplug" : generator, usage);
}

std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

std::string powershell_script(const ScriptOptions& o) {
  std::string s =
      header("Installs", o.name, o.generator, "[-Source DLL] [-Restart] [-LogFile FILE]");
  s += "#   -Source   the DLL to install (default: $DefaultSource below, else the DLL's file name\n"
       "#             beside this script)\n"
       "#   -Restart  restart wslservice so the plugin loads now (ends every running WSL session)\n"
       "#   -LogFile  also write the output to this file\n";
  s += param_block(true);
  s += "$PluginName = " + ps_quote(o.name) + "\n";
  s += "$PluginPath = " + ps_quote(o.windows_path) + "\n";
  s += "$PluginDir = " + ps_quote(windows_parent(o.windows_path)) + "\n";
  s += "$DllFile = " + ps_quote(dll_file_name(o.windows_path)) + "\n";
  s += "$DefaultSource = " + ps_quote(o.default_source) + "\n";
  s += "$KeyPath = " + ps_quote(kPluginsSubkey) + "\n";
  s += "$StatePath = " + ps_quote(state_path(o.name)) + "\n";
  s += fmt::format("$SystemSid = '{}'\n$AdminsSid = '{}'\n$UsersSid = '{}'\n", kSidSystem,
                   kSidAdministrators, kSidUsers);
  s += "$CertBase64 = " + ps_quote(o.trust_der.empty() ? std::string() : base64_der(o.trust_der)) +
       "\n";
  s += "$TrustThumbprint = " + ps_quote(o.trust_der.empty() ? std::string() : o.trust_thumbprint) +
       "\n";
  s += kCommonFunctions;
  if (!o.trust_der.empty()) s += kTrustFunction;
  s += kInstallFunctions;
  s += kInstallMain;
  return crlf(s);
}

std::string uninstall_script(const UninstallScriptOptions& o) {
  std::string s = header("Uninstalls", o.name, o.generator, "[-Restart] [-LogFile FILE]");
  s += "#   -Restart  stop wslservice first, so a loaded DLL can be deleted (ends every running\n"
       "#             WSL session)\n"
       "#   -LogFile  also write the output to this file\n";
  s += param_block(false);
  s += "$PluginName = " + ps_quote(o.name) + "\n";
  s += "$KeyPath = " + ps_quote(kPluginsSubkey) + "\n";
  s += "$StatePath = " + ps_quote(state_path(o.name)) + "\n";
  s += "$InstalledPath = " + ps_quote(kInstallStateSubkey) + "\n";
  s += kCommonFunctions;
  s += kUninstallMain;
  return crlf(s);
}

std::vector<std::byte> ps1_bytes(std::string_view script) {
  std::vector<std::byte> out{std::byte{0xef}, std::byte{0xbb}, std::byte{0xbf}};
  for (char c : script) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace wslplug::registry
