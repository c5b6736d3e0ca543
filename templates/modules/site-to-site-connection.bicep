metadata name = 'Site-to-site connection'
metadata description = 'A Local Network Gateway for a real VPN device and the IPsec connection from the hub VPN gateway to it: BGP or static, Azure\'s IPsec proposals or a custom policy.'

@export()
@description('A custom IPsec/IKE policy: the only combination Azure then offers and accepts on the connection.')
type ipsecPolicyType = {
  @description('Required. IKEv2 (phase 1) encryption.')
  ikeEncryption: 'GCMAES256' | 'GCMAES128' | 'AES256' | 'AES192' | 'AES128'

  @description('Required. IKEv2 integrity and PRF.')
  ikeIntegrity: 'SHA384' | 'SHA256' | 'SHA1' | 'MD5'

  @description('Required. IKE Diffie-Hellman group.')
  dhGroup: 'DHGroup24' | 'ECP384' | 'ECP256' | 'DHGroup14' | 'DHGroup2048' | 'DHGroup2' | 'DHGroup1' | 'None'

  @description('Required. IPsec (phase 2) encryption.')
  ipsecEncryption: 'GCMAES256' | 'GCMAES192' | 'GCMAES128' | 'AES256' | 'AES192' | 'AES128' | 'DES3' | 'DES' | 'None'

  @description('Required. IPsec integrity.')
  ipsecIntegrity: 'GCMAES256' | 'GCMAES192' | 'GCMAES128' | 'SHA256' | 'SHA1' | 'MD5'

  @description('Required. Perfect forward secrecy group.')
  pfsGroup: 'PFS24' | 'ECP384' | 'ECP256' | 'PFS2048' | 'PFS14' | 'PFS2' | 'PFS1' | 'PFSMM' | 'None'

  @description('Required. Phase 2 SA lifetime in seconds.')
  saLifeTimeSeconds: int

  @description('Required. Phase 2 SA lifetime in kilobytes.')
  saDataSizeKilobytes: int
}

@export()
@description('One VPN device of a site: a Local Network Gateway and its connection from the hub VPN gateway.')
type siteBranchType = {
  @description('Required. Site name, or <site>-<device> for a device of a site with several.')
  name: string

  @description('Optional. Key of vpnSharedKeys when not name: the site of a device.')
  sharedKeyName: string?

  @description('Required. Name of the Local Network Gateway.')
  localNetworkGatewayName: string

  @description('Required. Name of the site-to-site connection.')
  connectionName: string

  @description('Optional. Public IPv4 address of the VPN device; absent when fqdn is given.')
  gatewayIpAddress: string?

  @description('Optional. DNS name of the VPN device; absent when gatewayIpAddress is given.')
  fqdn: string?

  @description('Required. Prefixes behind the VPN device.')
  addressPrefixes: string[]

  @description('Optional. BGP ASN of the VPN device; absent for a static connection.')
  bgpAsn: int?

  @description('Optional. BGP peer IP of the VPN device; absent for a static connection.')
  bgpPeeringAddress: string?

  @description('Optional. Custom APIPA addresses of the hub gateway instances this connection peers from (an APIPA device).')
  customBgpIpAddresses: string[]?

  @description('Optional. Names of the hub gateway\'s IP configurations, when not ipconfig1 and ipconfig2.')
  gatewayIpConfigurationNames: string[]?

  @description('Optional. Custom IPsec/IKE policy; absent: Azure\'s default proposals.')
  ipsecPolicy: ipsecPolicyType?

  @description('Optional. Accept a policy-based device\'s traffic selectors.')
  usePolicyBasedTrafficSelectors: bool?

  @description('Optional. Dead peer detection timeout in seconds (9-3600).')
  dpdTimeoutSeconds: int?

  @description('Optional. Who starts IKE.')
  connectionMode: ('Default' | 'InitiatorOnly' | 'ResponderOnly')?

  @description('Optional. IKE version; absent: IKEv2.')
  connectionProtocol: ('IKEv2' | 'IKEv1')?
}

@description('Required. Name of the Local Network Gateway.')
param localNetworkGatewayName string

@description('Required. Name of the connection.')
param connectionName string

@description('Required. Azure region of both resources.')
param location string

@description('Optional. Tags put on both resources.')
param tags object = {}

@description('Optional. Public IPv4 address of the VPN device; null when fqdn is given.')
param gatewayIpAddress string?

@description('Optional. DNS name of the VPN device; null when gatewayIpAddress is given.')
param fqdn string?

@description('Required. Prefixes behind the VPN device.')
param addressPrefixes string[]

@description('Optional. BGP ASN of the VPN device; null: a static connection (the prefixes are routed into the tunnel).')
param bgpAsn int?

@description('Optional. BGP peer IP of the VPN device; null with bgpAsn.')
param bgpPeeringAddress string?

@description('Optional. Custom APIPA address of each hub gateway instance, in instance order, for an APIPA device; empty: none.')
param customBgpIpAddresses string[] = []

@description('Optional. Names of the hub gateway\'s IP configurations, instance by instance; empty: ipconfig1, ipconfig2.')
param gatewayIpConfigurationNames string[] = []

@description('Optional. Custom IPsec/IKE policy; null: Azure\'s default proposals.')
param ipsecPolicy ipsecPolicyType?

@description('Optional. Accept a policy-based device\'s traffic selectors; null: Azure\'s default (false).')
param usePolicyBasedTrafficSelectors bool?

@description('Optional. Dead peer detection timeout in seconds; null: Azure\'s default (45).')
param dpdTimeoutSeconds int?

@description('Optional. Who starts IKE; null: Azure\'s default (Default).')
param connectionMode ('Default' | 'InitiatorOnly' | 'ResponderOnly')?

@description('Optional. IKE version: IKEv2, or IKEv1 for a device that only speaks it.')
param connectionProtocol 'IKEv2' | 'IKEv1' = 'IKEv2'

@description('Required. Resource ID of the hub VPN gateway.')
param vpnGatewayResourceId string

@description('Required. IPsec shared key; the VPN device must use the same.')
@secure()
param sharedKey string

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var keptGateway = asDeployed[?resourceId('Microsoft.Network/localNetworkGateways', localNetworkGatewayName)] ?? asDeployed[?'Microsoft.Network/localNetworkGateways/${localNetworkGatewayName}'] ?? {}
var keptConnection = asDeployed[?resourceId('Microsoft.Network/connections', connectionName)] ?? asDeployed[?'Microsoft.Network/connections/${connectionName}'] ?? {}

resource localNetworkGateway 'Microsoft.Network/localNetworkGateways@2025-05-01' = {
  name: localNetworkGatewayName
  location: location
  tags: keptGateway.?tags ?? tags
  properties: union(
    {
      gatewayIpAddress: gatewayIpAddress
      fqdn: fqdn
      localNetworkAddressSpace: {
        addressPrefixes: addressPrefixes
      }
      bgpSettings: bgpAsn == null
        ? null
        : {
            asn: bgpAsn
            bgpPeeringAddress: bgpPeeringAddress
          }
    },
    keptGateway.?properties ?? {}
  )
}

resource connection 'Microsoft.Network/connections@2025-05-01' = {
  name: connectionName
  location: location
  tags: keptConnection.?tags ?? tags
  properties: union(
    {
      connectionType: 'IPsec'
      connectionProtocol: connectionProtocol
      virtualNetworkGateway1: {
        id: vpnGatewayResourceId
        properties: {}
      }
      localNetworkGateway2: {
        id: localNetworkGateway.id
        properties: {}
      }
      enableBgp: bgpAsn != null
      sharedKey: sharedKey
      ipsecPolicies: ipsecPolicy == null ? null : [ipsecPolicy!]
      usePolicyBasedTrafficSelectors: usePolicyBasedTrafficSelectors
      dpdTimeoutSeconds: dpdTimeoutSeconds
      connectionMode: connectionMode
      // Which custom APIPA address each instance of the hub gateway uses towards this device (configure BGP).
      gatewayCustomBgpIpAddresses: empty(customBgpIpAddresses)
        ? null
        : map(range(0, length(customBgpIpAddresses)), index => {
            ipConfigurationId: resourceId(
              'Microsoft.Network/virtualNetworkGateways/ipConfigurations',
              last(split(vpnGatewayResourceId, '/')),
              empty(gatewayIpConfigurationNames) ? 'ipconfig${index + 1}' : gatewayIpConfigurationNames[index]
            )
            customBgpIpAddress: customBgpIpAddresses[index]
          })
    },
    keptConnection.?properties ?? {}
  )
}

@description('Resource ID of the connection.')
output resourceId string = connection.id

@description('Name of the connection.')
output name string = connection.name

@description('Resource ID of the Local Network Gateway.')
output localNetworkGatewayResourceId string = localNetworkGateway.id
